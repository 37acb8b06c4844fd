// Every request and notification of the wire, declared once: name, params schema, result schema.
import { z } from 'zod';
import { CatalogMilestone, CatalogModule } from './catalog.js';
import { MilestoneId, ModuleRef } from './names.js';

export const PROTOCOL_VERSION = 1;

/** A request: its method name and the zod schemas of its params and result. */
export interface RequestDefinition<P extends z.ZodType, R extends z.ZodType> {
  readonly method: string;
  readonly params: P;
  readonly result: R;
}
/** A notification: its method name and the zod schema of its params. */
export interface NotificationDefinition<P extends z.ZodType> {
  readonly method: string;
  readonly params: P;
}

const request = <P extends z.ZodType, R extends z.ZodType>(method: string, params: P, result: R): RequestDefinition<P, R> => ({ method, params, result });
const notification = <P extends z.ZodType>(method: string, params: P): NotificationDefinition<P> => ({ method, params });

/** Requests without parameters take `{}`; LSP extras such as `workDoneToken` are ignored. */
const NoParams = z.object({}).optional().transform(() => ({}));
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
    popups: z.enum(['notification', 'modal', 'none']).optional(),
  })
  .nullish();

export const Initialize = request(
  'initialize',
  z.object({
    processId: z.number().int().nullish(),
    rootUri: z.string().nullish(),
    rootPath: z.string().nullish(),
    initializationOptions: InitializationOptions,
    capabilities: z.record(z.string(), z.unknown()).optional(),
  }),
  z.object({
    capabilities: z.object({
      experimental: z.object({
        milestones: z.object({ protocolVersion: z.literal(PROTOCOL_VERSION), catalog: z.string() }),
      }),
    }).loose(),
    serverInfo: z.object({ name: z.string(), version: z.string() }),
  }),
);
export const Shutdown = request('shutdown', NoParams, z.null());
export const Initialized = notification('initialized', z.object({}).loose().optional());
export const Exit = notification('exit', z.unknown());

// ---- milestones ----

export const CheckExport = request(
  'milestones/checkExport',
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
export const Progress = request(
  'milestones/progress',
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
export const List = request('milestones/list', NoParams, z.object({ tests: z.array(UnlockedTest), text: z.string() }));

export const Run = request(
  'milestones/run',
  z.object({ id: MilestoneId, timeoutMs: z.number().int().positive().max(24 * 3600 * 1000).optional(), workDoneToken: ProgressToken.optional() }),
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

export const MarkCompleted = request(
  'milestones/markCompleted',
  z.object({ id: MilestoneId }),
  z.object({ newlyCompleted: z.boolean(), message: z.string() }),
);

export const CatalogInfo = request(
  'milestones/catalog',
  NoParams,
  z.object({ source: z.string(), name: z.string(), honestReturns: z.boolean(), milestones: z.array(CatalogMilestone), modules: z.array(CatalogModule) }),
);

export const Rescan = request(
  'milestones/rescan',
  NoParams,
  z.object({ recorded: z.array(z.string()), newlyUnlocked: z.array(z.string()), text: z.string() }),
);

export const Reset = request(
  'milestones/reset',
  z.object({ module: ModuleRef }),
  z.object({ module: z.string(), wasCompleted: z.boolean(), relocked: z.array(z.string()), text: z.string() }),
);

// ---- notifications from the sidecar ----

export const UnlockCause = z.enum(['checkExport', 'export', 'rescan', 'external']);
export const Unlocked = notification(
  'milestones/unlocked',
  z.object({ id: z.string(), name: z.string(), description: z.string(), message: z.string(), cause: UnlockCause, seq: z.number().int().positive() }),
);
export const Completed = notification(
  'milestones/completed',
  z.object({ id: z.string(), name: z.string(), message: z.string(), seq: z.number().int().positive() }),
);
export const RunOutput = notification(
  'milestones/runOutput',
  z.object({ id: z.string(), stream: z.enum(['stdout', 'stderr']), text: z.string() }),
);

/** Every request the server answers, for the routing table and the client-consistency tests. */
export const requests = { Initialize, Shutdown, CheckExport, Progress, List, Run, MarkCompleted, CatalogInfo, Rescan, Reset } as const;
export const notifications = { Initialized, Exit, Unlocked, Completed, RunOutput } as const;

export type ParamsOf<D> = D extends RequestDefinition<infer P, z.ZodType> ? z.output<P> : D extends NotificationDefinition<infer P> ? z.output<P> : never;
export type ResultOf<D> = D extends RequestDefinition<z.ZodType, infer R> ? z.output<R> : never;

export type InitializationOptions = z.output<typeof InitializationOptions>;
export type MilestoneStatus = z.infer<typeof MilestoneStatus>;
export type MilestoneProgress = z.infer<typeof MilestoneProgress>;
export type UnlockedTest = z.infer<typeof UnlockedTest>;
export type UnlockCause = z.infer<typeof UnlockCause>;
export type UnlockedParams = z.infer<typeof Unlocked.params>;
export type CompletedParams = z.infer<typeof Completed.params>;
export type RunOutputParams = z.infer<typeof RunOutput.params>;
export type CheckExportResult = ResultOf<typeof CheckExport>;
export type ProgressResult = ResultOf<typeof Progress>;
export type ListResult = ResultOf<typeof List>;
export type RunResult = ResultOf<typeof Run>;
export type MarkCompletedResult = ResultOf<typeof MarkCompleted>;
export type CatalogResult = ResultOf<typeof CatalogInfo>;
export type RescanResult = ResultOf<typeof Rescan>;
export type ResetResult = ResultOf<typeof Reset>;
