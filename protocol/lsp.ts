// The LSP methods the sidecar sends or receives besides the lifecycle (methods.ts): declared once, never spelled elsewhere.
import { z } from 'zod';
import { CheckExportRequest, ListRequest, MarkCompletedRequest, notification, ProgressRequest, request, RescanRequest, ResetRequest, RunRequest } from './methods.js';

const ProgressToken = z.union([z.string(), z.number()]);

/** LSP `MessageType`: 1 error, 2 warning, 3 info, 4 log. */
export const MessageType = { Error: 1, Warning: 2, Info: 3, Log: 4 } as const;
const MessageParams = z.object({ type: z.number().int().min(1).max(4), message: z.string() });

/** Work-done progress on a token: begin, report, end (LSP `$/progress`). */
export const WorkDoneProgressValue = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('begin'), title: z.string(), cancellable: z.boolean().optional(), message: z.string().optional() }),
  z.object({ kind: z.literal('report'), cancellable: z.boolean().optional(), message: z.string() }),
  z.object({ kind: z.literal('end'), message: z.string().optional() }),
]);

export const WorkDoneProgressNotification = notification('$/progress', z.object({ token: ProgressToken, value: WorkDoneProgressValue }));
export const CancelRequestNotification = notification('$/cancelRequest', z.object({ id: z.union([z.string(), z.number()]) }));
export const SetTraceNotification = notification('$/setTrace', z.object({ value: z.enum(['off', 'messages', 'verbose']) }));
export const LogMessageNotification = notification('window/logMessage', MessageParams);
export const ShowMessageNotification = notification('window/showMessage', MessageParams);
export const WorkDoneProgressCreateRequest = request('window/workDoneProgress/create', z.object({ token: ProgressToken }), z.null());
export const WorkDoneProgressCancelNotification = notification('window/workDoneProgress/cancel', z.object({ token: ProgressToken }));
export const ExecuteCommandRequest = request(
  'workspace/executeCommand',
  z.object({ command: z.string(), arguments: z.array(z.unknown()).optional(), workDoneToken: ProgressToken.optional() }),
  z.unknown(),
);

/** `workspace/executeCommand`: each command mirrors the request of that name; `arguments[0]` is its params (docs/protocol.md §10). */
export const commands = {
  'tinytorch.milestones.progress': ProgressRequest,
  'tinytorch.milestones.list': ListRequest,
  'tinytorch.milestones.run': RunRequest,
  'tinytorch.milestones.checkExport': CheckExportRequest,
  'tinytorch.milestones.rescan': RescanRequest,
  'tinytorch.milestones.reset': ResetRequest,
  'tinytorch.milestones.markCompleted': MarkCompletedRequest,
} as const;
export type CommandId = keyof typeof commands;

export const lspRequests = { WorkDoneProgressCreateRequest, ExecuteCommandRequest } as const;
export const lspNotifications = {
  WorkDoneProgressNotification,
  CancelRequestNotification,
  SetTraceNotification,
  LogMessageNotification,
  ShowMessageNotification,
  WorkDoneProgressCancelNotification,
} as const;

export type WorkDoneProgressValue = z.infer<typeof WorkDoneProgressValue>;
export type ProgressToken = z.infer<typeof ProgressToken>;
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];
