// The stdio JSON-RPC connection: framed reader, counted writer, the notifier with its seq, and draining.
import type { Readable, Writable } from 'node:stream';
import {
  createMessageConnection,
  type Message,
  type MessageConnection,
  type MessageWriter,
} from 'vscode-jsonrpc/node';
import {
  CompletedNotification,
  LogMessageNotification,
  MessageType,
  RpcErrorCode,
  RunOutputNotification,
  UnlockedNotification,
} from '../../protocol/index.js';
import type { Logger, Notifier } from '../ports.js';
import { FramedMessageReader, type ReaderProblem } from './framed-reader.js';
import { FramedMessageWriter } from './framed-writer.js';

export interface StdioConnection {
  readonly connection: MessageConnection;
  readonly notifier: Notifier;
  /** Resolves once every request received so far has been answered and written. */
  drained(): Promise<void>;
  /** Registers what to do at end of input. */
  onInputEnd(handler: () => void): void;
}

type Id = string | number;

export function createStdioConnection(options: { input: Readable; output: Writable; logger: Logger }): StdioConnection {
  const { logger } = options;
  const inner = new FramedMessageWriter(options.output);
  /** Requests received and not yet answered, by id (a client may reuse an id). */
  const owed = new Map<Id, number>();
  let waiters: Array<() => void> = [];
  let inputEndHandler: () => void = () => {};

  const settle = () => {
    if (owed.size > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };

  const writer: MessageWriter = {
    onError: inner.onError,
    onClose: inner.onClose,
    dispose: () => inner.dispose(),
    end: () => inner.end(),
    async write(message: Message) {
      const response = message as { id?: Id | null; method?: string };
      try {
        await inner.write(message);
      } finally {
        if (response.method === undefined && response.id !== undefined && response.id !== null && owed.has(response.id)) {
          const count = owed.get(response.id)! - 1;
          if (count > 0) owed.set(response.id, count);
          else owed.delete(response.id);
          settle();
        }
      }
    },
  };

  const answerProblem = (problem: ReaderProblem) => {
    if (problem.kind === 'skipped-bytes') {
      logger.warn(`skipped ${problem.bytes} bytes of input that were not a protocol message`);
      return;
    }
    const [code, text] =
      problem.kind === 'oversized'
        ? [RpcErrorCode.InvalidRequest, `message of ${problem.bytes} bytes skipped: the limit is 8 MiB`]
        : problem.kind === 'parse-error'
          ? [RpcErrorCode.ParseError, `message is not valid JSON: ${problem.detail}`]
          : [RpcErrorCode.InvalidRequest, `invalid request: ${problem.detail}`];
    const id = problem.kind === 'invalid-request' ? problem.id : null;
    void inner.write({ jsonrpc: '2.0', id, error: { code, message: text } } as Message).catch(() => {});
  };

  const reader = new FramedMessageReader(options.input, {
    onProblem: answerProblem,
    onRequest: (id) => owed.set(id, (owed.get(id) ?? 0) + 1),
    onEnd: () => inputEndHandler(),
  });
  const connection = createMessageConnection(reader, writer, {
    error: (message) => logger.error(message),
    warn: (message) => logger.warn(message),
    info: (message) => logger.info(message),
    log: (message) => logger.info(message),
  });

  let seq = 0;
  const send = (method: string, params: unknown) => {
    connection.sendNotification(method, params).catch((error: unknown) => logger.error(`could not send ${method}: ${String(error)}`));
  };
  const notifier: Notifier = {
    unlocked: (params) => send(UnlockedNotification.method, { ...params, seq: ++seq }),
    completed: (params) => send(CompletedNotification.method, { ...params, seq: ++seq }),
    runOutput: (params) => send(RunOutputNotification.method, params),
    // Progress bars and pop-ups are an editor's: see adapters/editor.ts.
    progressBar: () => null,
    log: (level, message) => send(LogMessageNotification.method, { type: level === 'error' ? MessageType.Error : level === 'warning' ? MessageType.Warning : MessageType.Info, message }),
  };

  return {
    connection,
    notifier,
    drained: () => new Promise<void>((resolve) => {
      waiters.push(resolve);
      settle();
    }),
    onInputEnd: (handler) => {
      inputEndHandler = handler;
    },
  };
}
