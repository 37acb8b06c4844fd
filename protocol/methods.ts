// Every request and notification of the wire, declared once: name, params schema, result schema.
import { z } from 'zod';
import { CatalogMilestone, CatalogModule } from './catalog.js';
import { Method, PROTOCOL_VERSION } from './constants.js';
import { MilestoneId, ModuleRef } from './names.js';

/** A request: its method name and the zod schemas of its params and result. */
export interface RequestDefinition<P extends z.ZodType, R extends z.ZodType, M extends string = string> {
  readonly method: M;
  readonly params: P;
  readonly result: R;
}
/** A notification: its method name and the zod schema of its params. */
export interface NotificationDefinition<P extends z.ZodType, M extends string = string> {
  readonly method: M;
  readonly params: P;
}

/** Declares a request; its method name keeps its literal type (`'milestones/run'`, not `string`). */
export const request = <const M extends string, P extends z.ZodType, R extends z.ZodType>(method: M, params: P, result: R): RequestDefinition<P, R, M> => ({
  method,
  params,
  result,
});
/** Declares a notification; its method name keeps its literal type. */
export const notification = <const M extends string, P extends z.ZodType>(method: M, params: P): NotificationDefinition<P, M> => ({ method, params });

/** Requests without parameters take `{}`; LSP extras such as `workDoneToken` are ignored. */
export const NoParams = z
  .object({})
  .optional()
  .transform(() => ({}));
const ProgressToken = z.union([z.string(), z.number()]);

// ---- lifecycle (LSP) ----

export const InitializationOptions = z
  .object({
    progressFile: z.string().min(1).optional(),
    workspace: z.string().min(1).optional(),
    exports: z.string().min(1).optional(),
    catalog: z.string().min(1).optional(),
    python: z.string().min(1).optional(),
    runTimeoutMs: z.number().int().positive().optional(),
    popups: z.enum(['auto', 'showMessage', 'none']).optional(),
    /** Sent to the per-user daemon (docs/protocol.md §12): the client's working directory and environment, which its session uses. */
    client: z.object({ cwd: z.string().min(1).optional(), env: z.record(z.string(), z.string()).optional() }).optional(),
  })
  .nullish();

export const InitializeRequest = request(
  Method.Initialize,
  z.object({
    processId: z.number().int().nullish(),
    rootUri: z.string().nullish(),
    rootPath: z.string().nullish(),
    initializationOptions: InitializationOptions,
    capabilities: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    capabilities: z
      .object({
        /** The `tinytorch.milestones.*` commands of `workspace/executeCommand` (protocol/lsp.ts). */
        executeCommandProvider: z.object({ commands: z.array(z.string()) }),
        experimental: z.object({
          milestones: z.object({ protocolVersion: z.literal(PROTOCOL_VERSION), catalog: z.string() }),
        }),
      })
      .loose(),
    serverInfo: z.object({ name: z.string(), version: z.string() }),
  }),
);
export const ShutdownRequest = request(Method.Shutdown, NoParams, z.null());
export const InitializedNotification = notification(Method.Initialized, z.object({}).loose().optional());
export const ExitNotification = notification(Method.Exit, z.unknown());

// ---- milestones ----

export const CheckExportRequest = request(
  Method.CheckExport,
  z.object({ module: ModuleRef, ifNew: z.boolean().optional() }),
  z.object({ newlyUnlocked: z.array(z.string()), messages: z.array(z.string()), text: z.string() }),
);

export const MilestoneStatus = z.enum(['locked', 'unlocked', 'completed']);
export const MilestoneProgress = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  status: MilestoneStatus,
  requires: z.array(z.string()),
  met: z.number().int(),
  missing: z.array(z.string()),
});
export const ProgressRequest = request(
  Method.Progress,
  NoParams,
  z.object({
    catalog: z.string(),
    milestones: z.array(MilestoneProgress),
    completedModules: z.array(z.string()),
    next: z.object({ id: z.string(), name: z.string(), missing: z.array(z.string()) }).nullable(),
    text: z.string(),
  }),
);

export const UnlockedTest = z.object({ id: z.string(), name: z.string(), description: z.string(), command: z.string() });
export const ListRequest = request(Method.List, NoParams, z.object({ tests: z.array(UnlockedTest), text: z.string() }));

export const RunRequest = request(
  Method.Run,
  z.object({
    id: MilestoneId,
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(24 * 3600 * 1000)
      .optional(),
    workDoneToken: ProgressToken.optional(),
  }),
  z.object({
    id: z.string(),
    passed: z.boolean(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    durationMs: z.number(),
    newlyCompleted: z.boolean(),
    outputTail: z.string(),
    text: z.string(),
  }),
);

export const MarkCompletedRequest = request(Method.MarkCompleted, z.object({ id: MilestoneId }), z.object({ newlyCompleted: z.boolean(), message: z.string() }));

export const CatalogRequest = request(
  Method.Catalog,
  NoParams,
  z.object({ source: z.string(), name: z.string(), honestReturns: z.boolean(), milestones: z.array(CatalogMilestone), modules: z.array(CatalogModule) }),
);

export const RescanRequest = request(Method.Rescan, NoParams, z.object({ recorded: z.array(z.string()), newlyUnlocked: z.array(z.string()), text: z.string() }));

export const ResetRequest = request(
  Method.Reset,
  z.object({ module: ModuleRef }),
  z.object({ module: z.string(), wasCompleted: z.boolean(), relocked: z.array(z.string()), text: z.string() }),
);

// ---- notifications from the sidecar ----

export const UnlockCause = z.enum(['checkExport', 'export', 'rescan', 'external']);
export const UnlockedNotification = notification(
  Method.Unlocked,
  z.object({ id: z.string(), name: z.string(), description: z.string(), message: z.string(), cause: UnlockCause, seq: z.number().int().positive() }),
);
export const CompletedNotification = notification(Method.Completed, z.object({ id: z.string(), name: z.string(), message: z.string(), seq: z.number().int().positive() }));
export const RunOutputNotification = notification(Method.RunOutput, z.object({ id: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string() }));

/** Every request the server answers, for the routing table and the client-consistency tests. */
export const requests = {
  InitializeRequest,
  ShutdownRequest,
  CheckExportRequest,
  ProgressRequest,
  ListRequest,
  RunRequest,
  MarkCompletedRequest,
  CatalogRequest,
  RescanRequest,
  ResetRequest,
} as const;
export const notifications = { InitializedNotification, ExitNotification, UnlockedNotification, CompletedNotification, RunOutputNotification } as const;

export type ParamsOf<D> = D extends RequestDefinition<infer P, z.ZodType, string> ? z.output<P> : D extends NotificationDefinition<infer P, string> ? z.output<P> : never;
export type ResultOf<D> = D extends RequestDefinition<z.ZodType, infer R, string> ? z.output<R> : never;

export type InitializationOptions = z.output<typeof InitializationOptions>;
/** When editors get window/showMessage besides our notifications (docs/protocol.md §10). */
export type Popups = NonNullable<NonNullable<InitializationOptions>['popups']>;
export type MilestoneStatus = z.infer<typeof MilestoneStatus>;
export type MilestoneProgress = z.infer<typeof MilestoneProgress>;
export type UnlockedTest = z.infer<typeof UnlockedTest>;
export type UnlockCause = z.infer<typeof UnlockCause>;
export type UnlockedParams = z.infer<typeof UnlockedNotification.params>;
export type CompletedParams = z.infer<typeof CompletedNotification.params>;
export type RunOutputParams = z.infer<typeof RunOutputNotification.params>;
export type CheckExportResult = ResultOf<typeof CheckExportRequest>;
export type ProgressResult = ResultOf<typeof ProgressRequest>;
export type ListResult = ResultOf<typeof ListRequest>;
export type RunResult = ResultOf<typeof RunRequest>;
export type MarkCompletedResult = ResultOf<typeof MarkCompletedRequest>;
export type CatalogResult = ResultOf<typeof CatalogRequest>;
export type RescanResult = ResultOf<typeof RescanRequest>;
export type ResetResult = ResultOf<typeof ResetRequest>;
