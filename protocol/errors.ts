// Error codes and `data.kind`s of the wire: clients match on `kind`, never on message text.

/** JSON-RPC codes that vscode-jsonrpc does not export (RequestCancelled) or that we name for clarity. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  RequestCancelled: -32800,
} as const;

/** Domain errors: one stable code and kind each. */
export const MilestoneErrorCode = {
  'unknown-milestone': 1001,
  'milestone-locked': 1002,
  'run-in-progress': 1003,
  'progress-file-corrupt': 1004,
  'catalog-invalid': 1005,
  'no-workspace': 1006,
} as const;

export type MilestoneErrorKind = keyof typeof MilestoneErrorCode;

/** The extra `data` each kind carries besides `kind`. */
export interface MilestoneErrorData {
  'unknown-milestone': { id: string };
  'milestone-locked': { id: string; missing: string[] };
  'run-in-progress': { id: string };
  'progress-file-corrupt': { path: string; backup: string | null };
  'catalog-invalid': { source: string; problems: string[] };
  'no-workspace': Record<string, never>;
}

/** An expected failure: thrown by handlers, turned into a JSON-RPC error in one place (the server). */
export class MilestoneError<K extends MilestoneErrorKind = MilestoneErrorKind> extends Error {
  readonly kind: K;
  readonly code: number;
  readonly data: MilestoneErrorData[K] & { kind: K };

  constructor(kind: K, message: string, data: MilestoneErrorData[K]) {
    super(message);
    this.name = 'MilestoneError';
    this.kind = kind;
    this.code = MilestoneErrorCode[kind];
    this.data = { ...data, kind };
  }
}

/** Largest message body the server buffers; bigger ones are skipped and answered with id null. */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** A request whose params passed the schema but mean nothing here (an unresolvable module number). */
export class InvalidParamsError extends Error {
  /** zod's issues, when the schema rejected the params. */
  readonly issues: readonly unknown[] | undefined;
  constructor(message: string, issues?: readonly unknown[]) {
    super(message);
    this.name = 'InvalidParamsError';
    this.issues = issues;
  }
}

/** A request given up at the client's wish ($/cancelRequest, end of input, Ctrl-C): answered -32800. */
export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A setting that cannot work here (an unwritable progress folder): one sentence for a person, no stack trace. */
export class SettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingError';
  }
}
