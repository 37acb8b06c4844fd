// The stdio JSON-RPC connection: framed reader, counted writer, the notifier with its seq, and draining.
import type { Readable, Writable } from 'node:stream';
import { createMessageConnection, type Message, type MessageConnection, type MessageWriter } from 'vscode-jsonrpc/node';
import { MessageType, Method, RpcErrorCode } from '../../protocol/plain.js';
import type { Logger, Notifier } from '../ports.js';
import { framingProblemText, inputPausedText, inputResumedText, type FramingProblem } from '../core/messages.js';
import { FramedMessageReader, type ReaderProblem } from './framed-reader.js';
import { FramedMessageWriter } from './framed-writer.js';

/** Framing problems answered -32700; the others (an oversized message, a message that is not a request) -32600. */
const PARSE_ERRORS = new Set<FramingProblem['kind']>(['bad-length', 'not-json', 'not-utf8', 'interrupted', 'input-ended']);

export interface StdioConnection {
  readonly connection: MessageConnection;
  readonly notifier: Notifier;
  /** Resolves once every request received so far has been answered, and every message written. */
  drained(): Promise<void>;
  /** Registers what to do at end of input. */
  onInputEnd(handler: () => void): void;
}

type Id = string | number;

/** Back-pressure: input stops being read while this many requests are unanswered or messages unwritten... */
const PAUSE_AT = 1024;
/** ...and is read again once both are down to this. */
const RESUME_AT = 256;

export function createStdioConnection(options: { input: Readable; output: Writable; logger: Logger }): StdioConnection {
  const { logger, input } = options;
  const inner = new FramedMessageWriter(options.output);
  /** Requests received and not yet answered, by the id's text (vscode-jsonrpc's key: `5` and `"5"` are one). */
  const owed = new Set<string>();
  /** Messages handed to the writer and not yet written (a client that does not read stdout holds them here). */
  let unwritten = 0;
  let paused = false;
  let waiters: Array<() => void> = [];
  let inputEndHandler: () => void = () => {};

  const settle = () => {
    if (paused && owed.size <= RESUME_AT && unwritten <= RESUME_AT) {
      paused = false;
      logger.info(inputResumedText());
      input.resume();
    }
    if (owed.size > 0 || unwritten > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  };
  const throttle = () => {
    if (!paused && (owed.size > PAUSE_AT || unwritten > PAUSE_AT)) {
      paused = true;
      // Info, not a warning: a burst of pipelined requests pauses input too, and that is no fault of the client.
      logger.info(inputPausedText(owed.size, unwritten));
      input.pause();
    }
  };

  /** Every message goes out here, counted until written, so that draining waits for all of them. */
  const write = async (message: Message, answers: boolean) => {
    unwritten++;
    throttle();
    try {
      await inner.write(message);
    } finally {
      unwritten--;
      const response = message as { id?: Id | null; method?: string };
      if (answers && response.method === undefined && response.id !== undefined && response.id !== null) owed.delete(String(response.id));
      settle();
    }
  };

  const writer: MessageWriter = {
    onError: inner.onError,
    onClose: inner.onClose,
    dispose: () => inner.dispose(),
    end: () => inner.end(),
    write: (message) => write(message, true),
  };

  const answerProblem = ({ problem, id }: ReaderProblem) => {
    if (problem.kind === 'skipped-bytes') {
      logger.warn(framingProblemText(problem));
      return;
    }
    const code = PARSE_ERRORS.has(problem.kind) ? RpcErrorCode.ParseError : RpcErrorCode.InvalidRequest;
    // Not the answer to a pending request, even when it carries the id of one (a duplicate).
    write({ jsonrpc: '2.0', id, error: { code, message: framingProblemText(problem) } } as Message, false).catch(() => {});
  };

  const reader = new FramedMessageReader(input, {
    onProblem: answerProblem,
    onRequest: (id) => {
      if (owed.has(String(id))) return false;
      owed.add(String(id));
      throttle();
      return true;
    },
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
    unlocked: (params) => send(Method.Unlocked, { ...params, seq: ++seq }),
    completed: (params) => send(Method.Completed, { ...params, seq: ++seq }),
    runOutput: (params) => send(Method.RunOutput, params),
    // Progress bars and pop-ups are an editor's: see adapters/editor.ts.
    progressBar: () => null,
    log: (level, message) => send(Method.LogMessage, { type: level === 'error' ? MessageType.Error : level === 'warning' ? MessageType.Warning : MessageType.Info, message }),
  };

  return {
    connection,
    notifier,
    drained: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settle();
      }),
    onInputEnd: (handler) => {
      inputEndHandler = handler;
    },
  };
}
