// The routing table and LSP lifecycle: request -> validate -> handler -> answer, errors mapped in one place.
import { ResponseError, type CancellationToken, type Disposable, type MessageConnection } from 'vscode-jsonrpc/node';
import type { z } from 'zod';
import {
  CancelledError,
  COMMAND_METHODS,
  InvalidParamsError,
  Method,
  MilestoneError,
  PROTOCOL_VERSION,
  RpcErrorCode,
  SettingError,
  type CatalogRequest,
  type CheckExportRequest,
  type ExecuteCommandRequest,
  type InitializationOptions,
  type InitializeRequest,
  type ListRequest,
  type MarkCompletedRequest,
  type ParamsOf,
  type ProgressRequest,
  type RequestDefinition,
  type RescanRequest,
  type ResetRequest,
  type RunRequest,
} from '../protocol/plain.js';
import { catalogLabel } from './core/catalog.js';
import { afterShutdownText, cancelledText, INITIALIZE_TWICE_TEXT, requestFailedText, unknownEditorCommandText, unknownMethodText } from './core/messages.js';
import { checkParams } from './core/params.js';
import { catalog } from './handlers/catalog.js';
import { checkExport } from './handlers/check-export.js';
import type { Handler } from './handlers/handler.js';
import { list } from './handlers/list.js';
import { markCompleted } from './handlers/mark-completed.js';
import { progress } from './handlers/progress.js';
import { rescan } from './handlers/rescan.js';
import { reset } from './handlers/reset.js';
import { run } from './handlers/run.js';
import type { Logger, Services } from './ports.js';

export interface InitializeInfo {
  readonly initializationOptions: InitializationOptions;
  readonly rootUri: string | null;
  readonly rootPath: string | null;
  /** The client's declared capabilities: what it shows (pop-ups, progress bars). */
  readonly capabilities: unknown;
}

export interface ServerOptions {
  readonly connection: MessageConnection;
  /** Builds the services; throws MilestoneError('catalog-invalid') for a bad catalog. */
  readonly openServices: (init: InitializeInfo | null) => Promise<Services>;
  /** The services before `initialize`; a function opens them only when something needs them before it (a daemon
   * client sends `initialize` first, and would otherwise pay for services it never uses). */
  readonly initialServices: Services | (() => Promise<Services>);
  readonly drained: () => Promise<void>;
  readonly onInputEnd: (handler: () => void) => void;
  readonly exit: (code: number) => void;
  /** `initialize.processId`: the sidecar ends when that process dies (docs/protocol.md §10). */
  readonly watchClient?: (pid: number) => void;
  readonly logger: Logger;
  readonly version: string;
}

type AnyRequest = RequestDefinition<z.ZodType, z.ZodType>;
interface Route {
  readonly handle: Handler<AnyRequest>;
  /** The handler takes its signal (a run): others get NEVER_ABORTED, and no AbortSignal is made for them. */
  readonly cancellable: boolean;
}
const route = <D extends AnyRequest>(method: D['method'], handle: Handler<D>, options: { cancellable?: boolean } = {}): [string, Route] => [
  method,
  { handle: handle as unknown as Handler<AnyRequest>, cancellable: options.cancellable === true },
];

/**
 * What a handler that ignores cancellation is given. An AbortSignal made per request (an EventTarget) was a tenth of
 * the warm path's allocation, and what it kept alive made each young collection 3-4x longer.
 */
const NEVER_ABORTED = new AbortController().signal;

/** One line per method: the whole of what the sidecar answers. */
export const routes = new Map<string, Route>([
  route<typeof CheckExportRequest>(Method.CheckExport, checkExport),
  route<typeof ProgressRequest>(Method.Progress, progress),
  route<typeof ListRequest>(Method.List, list),
  route<typeof MarkCompletedRequest>(Method.MarkCompleted, markCompleted),
  route<typeof RunRequest>(Method.Run, run, { cancellable: true }),
  route<typeof CatalogRequest>(Method.Catalog, catalog),
  route<typeof RescanRequest>(Method.Rescan, rescan),
  route<typeof ResetRequest>(Method.Reset, reset),
]);

/** `workspace/executeCommand` is the request its command mirrors, with `arguments[0]` as its params (docs/protocol.md §10). */
function commandTarget(checked: unknown): { method: string; params: unknown } {
  const { command, arguments: args, workDoneToken } = checked as ParamsOf<typeof ExecuteCommandRequest>;
  const method = Object.hasOwn(COMMAND_METHODS, command) ? COMMAND_METHODS[command as keyof typeof COMMAND_METHODS] : undefined;
  if (!method) throw new InvalidParamsError(unknownEditorCommandText(command, Object.keys(COMMAND_METHODS)));
  // No argument, null, or an empty list (Lua's and Lisp's empty table: Neovim sends `{}` as `[]`) means no params.
  const first = args?.[0];
  const params = first === undefined || first === null || (Array.isArray(first) && first.length === 0) ? {} : first;
  // LSP puts a progress token on executeCommand itself: a run shows its bar there unless arguments[0] names one.
  const withToken = workDoneToken !== undefined && typeof params === 'object' && params !== null && !('workDoneToken' in params) ? { ...params, workDoneToken } : params;
  return { method, params: withToken };
}

/** Expected failures keep their codes; anything else is a bug, logged with its stack. */
function toResponseError(error: unknown, method: string, cancelled: boolean, logger: Logger): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  // A request that failed for its own reason says so, even if it was cancelled meanwhile.
  if (error instanceof MilestoneError) return new ResponseError(error.code, error.message, error.data);
  // A setting that cannot work is said in one sentence; it is not a bug, so no stack trace is logged.
  if (error instanceof SettingError) return new ResponseError(RpcErrorCode.InternalError, error.message);
  if (error instanceof InvalidParamsError) return new ResponseError(RpcErrorCode.InvalidParams, error.message, error.issues ? { issues: error.issues } : undefined);
  if (cancelled || error instanceof CancelledError) return new ResponseError(RpcErrorCode.RequestCancelled, cancelledText(method));
  logger.error(requestFailedText(method, error instanceof Error ? (error.stack ?? error.message) : String(error)));
  return new ResponseError(RpcErrorCode.InternalError, requestFailedText(method, error instanceof Error ? error.message : String(error)));
}

export function startServer(options: ServerOptions): void {
  const { connection, logger } = options;
  const initial = options.initialServices;
  const openInitial = (): Promise<Services> => (typeof initial === 'function' ? initial() : Promise.resolve(initial));
  /** Null until needed when the initial services are opened on demand. */
  let services: Promise<Services> | null = typeof initial === 'function' ? null : Promise.resolve(initial);
  const current = (): Promise<Services> => (services ??= openInitial());
  let initializeReceived = false;
  /** `initialize` is accepted once: while one is being served or after one succeeded, another is refused. */
  let initializeState: 'none' | 'pending' | 'done' = 'none';
  let shutdownReceived = false;
  /** Cancellable requests being served, with whether each is a run (the only requests that end of input cancels). */
  const inFlight = new Map<AbortController, boolean>();
  let exiting = false;

  /**
   * Messages are served in arrival order. When a generated validator refuses params, zod (loaded on first need)
   * decides; until it has and that message has begun, the messages after it wait here, so none overtakes it (an
   * `initialize` swaps the services as it begins, and every message after it must see the new ones).
   */
  const waiting: Array<() => void> = [];
  let deciding = 0;
  const inTurn = (serve: () => void) => {
    if (deciding > 0) waiting.push(serve);
    else serve();
  };
  function decided<T>(decision: Promise<T>): Promise<T> {
    deciding++;
    // After the awaiting message has run up to its next await (promise callbacks all run before setImmediate's).
    const release = () =>
      setImmediate(() => {
        deciding--;
        while (deciding === 0 && waiting.length > 0) waiting.shift()!();
      });
    decision.then(release, release);
    return decision;
  }

  async function initialize(raw: unknown) {
    const checked = checkParams(Method.Initialize, raw);
    const params = (checked.valid ? checked.params : await decided(checked.decided)) as ParamsOf<typeof InitializeRequest>;
    // Settings swap only once: a second initialize could replace the services under a run that is going, and two
    // pipelined ones would race for the progress file. One that failed (a bad catalog, a bad rootUri) may be sent again.
    if (initializeState !== 'none') throw new ResponseError(RpcErrorCode.InvalidRequest, INITIALIZE_TWICE_TEXT);
    initializeState = 'pending';
    initializeReceived = true;
    // Swapped before anything awaits: every request dispatched after this one waits for the new services.
    const previous = services;
    // Called inside an async function so that one that throws at once (a bad rootUri) rejects instead.
    const next = (async () =>
      options.openServices({
        initializationOptions: params.initializationOptions ?? null,
        rootUri: params.rootUri ?? null,
        rootPath: params.rootPath ?? null,
        capabilities: params.capabilities ?? {},
      }))();
    services = next.catch(() => previous ?? openInitial());
    let opened: Services;
    try {
      opened = await next;
    } catch (error) {
      initializeState = 'none';
      throw error;
    }
    initializeState = 'done';
    if (typeof params.processId === 'number' && params.processId > 0) options.watchClient?.(params.processId);
    await (await previous?.catch(() => null))?.dispose();
    return {
      capabilities: {
        executeCommandProvider: { commands: Object.keys(COMMAND_METHODS) },
        experimental: { milestones: { protocolVersion: PROTOCOL_VERSION, catalog: catalogLabel(opened.context.catalog) } },
      },
      serverInfo: { name: 'tinytorch-milestones', version: options.version },
    };
  }

  async function answer(method: string, raw: unknown, token: CancellationToken) {
    // Made for a request that can be cancelled (a run) only: its controller, the subscription to the token and the
    // in-flight entry were, with the signal, a fifth of the warm path's allocation.
    let controller: AbortController | null = null;
    let subscription: Disposable | null = null;
    const isRun = method === Method.Run;
    try {
      if (shutdownReceived) throw new ResponseError(RpcErrorCode.InvalidRequest, afterShutdownText(method));
      if (method === Method.Initialize) return await initialize(raw);
      if (method === Method.Shutdown) {
        shutdownReceived = true;
        return null;
      }
      let target = { method, params: raw };
      if (method === Method.ExecuteCommand) {
        const checked = checkParams(method, raw);
        target = commandTarget(checked.valid ? checked.params : await decided(checked.decided));
      }
      const found = routes.get(target.method);
      if (!found) throw new ResponseError(RpcErrorCode.MethodNotFound, unknownMethodText(method));
      const checked = checkParams(target.method, target.params);
      const params = checked.valid ? checked.params : await decided(checked.decided);
      const { context } = await current();
      if (!found.cancellable) return await found.handle(params, context, NEVER_ABORTED);
      const cancellable = new AbortController();
      controller = cancellable;
      subscription = token.onCancellationRequested(() => cancellable.abort());
      // A cancel that arrived before this point leaves a token that is already cancelled and never fires; a run
      // dispatched after input ended or `exit` is cancelled from the start (it must not begin then).
      if (token.isCancellationRequested || (exiting && isRun)) cancellable.abort();
      inFlight.set(cancellable, isRun);
      return await found.handle(params, context, cancellable.signal);
    } catch (error) {
      throw toResponseError(error, method, token.isCancellationRequested || controller?.signal.aborted === true, logger);
    } finally {
      subscription?.dispose();
      if (controller) inFlight.delete(controller);
    }
  }

  connection.onRequest((method: string, raw: unknown, token: CancellationToken) =>
    deciding > 0 ? new Promise((resolve) => waiting.push(() => resolve(answer(method, raw, token)))) : answer(method, raw, token),
  );

  /** LSP: 0 after shutdown, 1 without it; a client that never initialized gets 0 at end of input. */
  const exitCode = (atEndOfInput: boolean) => ((atEndOfInput && !initializeReceived) || shutdownReceived ? 0 : 1);

  async function finish(atEndOfInput: boolean) {
    if (exiting) return;
    exiting = true;
    // Answer everything received; runs still going are cancelled (their group killed) and answered -32800.
    // Other requests keep their real answer, an error included: only a run would outlive the client.
    for (const [controller, isRun] of inFlight) if (isRun) controller.abort();
    await options.drained();
    await (await services?.catch(() => null))?.dispose().catch((error: unknown) => logger.error(`closing: ${String(error)}`));
    // Decided after draining: an initialize or shutdown still queued when input ended counts.
    options.exit(exitCode(atEndOfInput));
  }

  connection.onNotification((method: string) => {
    inTurn(() => {
      if (method === Method.Initialized)
        void current().then(
          (opened) => opened.start(),
          () => {},
        );
      if (method === Method.Exit) void finish(false);
    });
  });

  options.onInputEnd(() => inTurn(() => void finish(true)));

  connection.listen();
  // Without initialize, the client gets its configuration from flags and the environment, and watching starts
  // soon; a client that does initialize first (it is its first message) starts it with `initialized` instead.
  setTimeout(() => {
    if (!initializeReceived && !exiting)
      void current().then(
        (opened) => opened.start(),
        () => {},
      );
  }, 100).unref();
}
