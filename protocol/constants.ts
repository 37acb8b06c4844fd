// The wire's names and constants, each declared once, without zod: what the sidecar needs before its first answer.

export const PROTOCOL_VERSION = 1;

/** Every method name on the wire: ours, LSP's and the daemon's. methods.ts, lsp.ts and daemon.ts give each its schemas. */
export const Method = {
  // lifecycle (LSP)
  Initialize: 'initialize',
  Shutdown: 'shutdown',
  Initialized: 'initialized',
  Exit: 'exit',
  // milestones
  CheckExport: 'milestones/checkExport',
  Progress: 'milestones/progress',
  List: 'milestones/list',
  Run: 'milestones/run',
  MarkCompleted: 'milestones/markCompleted',
  Catalog: 'milestones/catalog',
  Rescan: 'milestones/rescan',
  Reset: 'milestones/reset',
  Unlocked: 'milestones/unlocked',
  Completed: 'milestones/completed',
  RunOutput: 'milestones/runOutput',
  // LSP, besides the lifecycle
  WorkDoneProgress: '$/progress',
  CancelRequest: '$/cancelRequest',
  SetTrace: '$/setTrace',
  LogMessage: 'window/logMessage',
  ShowMessage: 'window/showMessage',
  WorkDoneProgressCreate: 'window/workDoneProgress/create',
  WorkDoneProgressCancel: 'window/workDoneProgress/cancel',
  ExecuteCommand: 'workspace/executeCommand',
  // the per-user daemon (docs/protocol.md §12)
  DaemonStatus: 'daemon/status',
  DaemonStop: 'daemon/stop',
} as const;
export type MethodName = (typeof Method)[keyof typeof Method];

/** Every method name on the wire, for the routing table and the client-consistency test. */
export const METHOD_NAMES: ReadonlySet<string> = new Set(Object.values(Method));

/** `workspace/executeCommand`: each command mirrors the request of that name; `arguments[0]` is its params (docs/protocol.md §10). */
export const COMMAND_METHODS = {
  'tinytorch.milestones.progress': Method.Progress,
  'tinytorch.milestones.list': Method.List,
  'tinytorch.milestones.run': Method.Run,
  'tinytorch.milestones.checkExport': Method.CheckExport,
  'tinytorch.milestones.rescan': Method.Rescan,
  'tinytorch.milestones.reset': Method.Reset,
  'tinytorch.milestones.markCompleted': Method.MarkCompleted,
} as const;
export type CommandId = keyof typeof COMMAND_METHODS;

/** LSP `MessageType`: 1 error, 2 warning, 3 info, 4 log. */
export const MessageType = { Error: 1, Warning: 2, Info: 3, Log: 4 } as const;
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];
