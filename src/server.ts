// The routing table and LSP lifecycle: request -> validate -> handler -> answer, errors mapped in one place.
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import type { z } from 'zod';
import {
  CancelledError,
  CatalogRequest,
  CheckExportRequest,
  commands,
  ExecuteCommandRequest,
  ExitNotification,
  InitializeRequest,
  InitializedNotification,
  InvalidParamsError,
  ListRequest,
  MarkCompletedRequest,
  MilestoneError,
  PROTOCOL_VERSION,
  ProgressRequest,
  RescanRequest,
  ResetRequest,
  RpcErrorCode,
  RunRequest,
  SettingError,
  ShutdownRequest,
  type InitializationOptions,
  type RequestDefinition,
} from '../protocol/index.js';
import { catalogLabel } from './core/catalog.js';
import { afterShutdownText, cancelledText, INITIALIZE_TWICE_TEXT, requestFailedText, unknownEditorCommandText, unknownMethodText } from './core/messages.js';
import { catalog } from './handlers/catalog.js';
import { checkExport } from './handlers/check-export.js';
import { parseParams, type Handler } from './handlers/handler.js';
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
  readonly definition: AnyRequest;
  readonly handle: Handler<AnyRequest>;
  /** The handler takes its signal (a run): others get NEVER_ABORTED, and no AbortSignal is made for them. */
  readonly cancellable: boolean;
}
const route = <D extends AnyRequest>(definition: D, handle: Handler<D>, options: { cancellable?: boolean } = {}): [string, Route] => [
  definition.method,
  { definition, handle: handle as unknown as Handler<AnyRequest>, cancellable: options.cancellable === true },
];

/**
 * What a handler that ignores cancellation is given. An AbortSignal made per request (an EventTarget, made on first
 * reading `controller.signal`) was a tenth of the warm path's allocation, and what it kept alive made each young
 * collection 3-4x longer: the controller still exists, and makes its signal only if the request is cancelled.
 */
const NEVER_ABORTED = new AbortController().signal;

/** One line per method: the whole of what the sidecar answers. */
export const routes = new Map<string, Route>([
  route(CheckExportRequest, checkExport),
  route(ProgressRequest, progress),
  route(ListRequest, list),
  route(MarkCompletedRequest, markCompleted),
  route(RunRequest, run, { cancellable: true }),
  route(CatalogRequest, catalog),
  route(RescanRequest, rescan),
  route(ResetRequest, reset),
]);

/** `workspace/executeCommand` is the request its command mirrors, with `arguments[0]` as its params (docs/protocol.md §10). */
function commandTarget(raw: unknown): { method: string; params: unknown } {
  const { command, arguments: args, workDoneToken } = parseParams(ExecuteCommandRequest, raw);
  const definition = Object.hasOwn(commands, command) ? commands[command as keyof typeof commands] : undefined;
  if (!definition) throw new InvalidParamsError(unknownEditorCommandText(command, Object.keys(commands)));
  // No argument, null, or an empty list (Lua's and Lisp's empty table: Neovim sends `{}` as `[]`) means no params.
  const first = args?.[0];
  const params = first === undefined || first === null || (Array.isArray(first) && first.length === 0) ? {} : first;
  // LSP puts a progress token on executeCommand itself: a run shows its bar there unless arguments[0] names one.
  const withToken = workDoneToken !== undefined && typeof params === 'object' && params !== null && !('workDoneToken' in params) ? { ...params, workDoneToken } : params;
  return { method: definition.method, params: withToken };
}

/** Expected failures keep their codes; anything else is a bug, logged with its stack. */
function toResponseError(error: unknown, method: string, signal: AbortSignal, logger: Logger): ResponseError<unknown> {
  if (error instanceof ResponseError) return error;
  // A request that failed for its own reason says so, even if it was cancelled meanwhile.
  if (error instanceof MilestoneError) return new ResponseError(error.code, error.message, error.data);
  // A setting that cannot work is said in one sentence; it is not a bug, so no stack trace is logged.
  if (error instanceof SettingError) return new ResponseError(RpcErrorCode.InternalError, error.message);
  if (error instanceof InvalidParamsError) return new ResponseError(RpcErrorCode.InvalidParams, error.message, error.issues ? { issues: error.issues } : undefined);
  if (signal.aborted || error instanceof CancelledError) return new ResponseError(RpcErrorCode.RequestCancelled, cancelledText(method));
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
  /** Requests being served, with whether each is a run (the only requests that end of input cancels). */
  const inFlight = new Map<AbortController, boolean>();
  let exiting = false;

  async function initialize(raw: unknown) {
    const params = parseParams(InitializeRequest, raw);
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
        executeCommandProvider: { commands: Object.keys(commands) },
        experimental: { milestones: { protocolVersion: PROTOCOL_VERSION, catalog: catalogLabel(opened.context.catalog) } },
      },
      serverInfo: { name: 'tinytorch-milestones', version: options.version },
    };
  }

  connection.onRequest(async (method: string, raw: unknown, token: CancellationToken) => {
    const controller = new AbortController();
    const subscription = token.onCancellationRequested(() => controller.abort());
    // A cancel that arrived before the request was dispatched leaves a token that is already cancelled and never fires;
    // a run dispatched after input ended or `exit` is cancelled from the start (it must not begin then).
    const isRun = method === RunRequest.method;
    if (token.isCancellationRequested || (exiting && isRun)) controller.abort();
    inFlight.set(controller, isRun);
    try {
      if (shutdownReceived) throw new ResponseError(RpcErrorCode.InvalidRequest, afterShutdownText(method));
      if (method === InitializeRequest.method) return await initialize(raw);
      if (method === ShutdownRequest.method) {
        shutdownReceived = true;
        return null;
      }
      const target = method === ExecuteCommandRequest.method ? commandTarget(raw) : { method, params: raw };
      const found = routes.get(target.method);
      if (!found) throw new ResponseError(RpcErrorCode.MethodNotFound, unknownMethodText(method));
      const params = parseParams(found.definition, target.params);
      const { context } = await current();
      return await found.handle(params, context, found.cancellable ? controller.signal : NEVER_ABORTED);
    } catch (error) {
      throw toResponseError(error, method, controller.signal, logger);
    } finally {
      subscription.dispose();
      inFlight.delete(controller);
    }
  });

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
    if (method === InitializedNotification.method)
      void current().then(
        (opened) => opened.start(),
        () => {},
      );
    if (method === ExitNotification.method) void finish(false);
  });

  options.onInputEnd(() => void finish(true));

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
