// The LSP methods the sidecar sends or receives besides the lifecycle (methods.ts): declared once, never spelled elsewhere.
import { z } from 'zod';
import { Method } from './constants.js';
import { notification, request } from './methods.js';

const ProgressToken = z.union([z.string(), z.number()]);

const MessageParams = z.object({ type: z.number().int().min(1).max(4), message: z.string() });

/** Work-done progress on a token: begin, report, end (LSP `$/progress`). */
export const WorkDoneProgressValue = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('begin'), title: z.string(), cancellable: z.boolean().optional(), message: z.string().optional() }),
  z.object({ kind: z.literal('report'), cancellable: z.boolean().optional(), message: z.string() }),
  z.object({ kind: z.literal('end'), message: z.string().optional() }),
]);

export const WorkDoneProgressNotification = notification(Method.WorkDoneProgress, z.object({ token: ProgressToken, value: WorkDoneProgressValue }));
export const CancelRequestNotification = notification(Method.CancelRequest, z.object({ id: z.union([z.string(), z.number()]) }));
export const SetTraceNotification = notification(Method.SetTrace, z.object({ value: z.enum(['off', 'messages', 'verbose']) }));
export const LogMessageNotification = notification(Method.LogMessage, MessageParams);
export const ShowMessageNotification = notification(Method.ShowMessage, MessageParams);
export const WorkDoneProgressCreateRequest = request(Method.WorkDoneProgressCreate, z.object({ token: ProgressToken }), z.null());
export const WorkDoneProgressCancelNotification = notification(Method.WorkDoneProgressCancel, z.object({ token: ProgressToken }));
export const ExecuteCommandRequest = request(
  Method.ExecuteCommand,
  z.object({ command: z.string(), arguments: z.array(z.unknown()).optional(), workDoneToken: ProgressToken.optional() }),
  z.unknown(),
);

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
