// The LSP methods the sidecar sends or receives besides the lifecycle (methods.ts): declared once, never spelled elsewhere.
import { z } from 'zod';
import { notification, request } from './methods.js';

const ProgressToken = z.union([z.string(), z.number()]);

/** LSP `MessageType`: 1 error, 2 warning, 3 info, 4 log. */
export const MessageType = { Error: 1, Warning: 2, Info: 3, Log: 4 } as const;
const MessageParams = z.object({ type: z.number().int().min(1).max(4), message: z.string() });

/** Work-done progress on a token: begin, report, end (LSP `$/progress`). */
export const WorkDoneProgressValue = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('begin'), title: z.string(), message: z.string().optional() }),
  z.object({ kind: z.literal('report'), message: z.string() }),
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
  z.object({ command: z.string(), arguments: z.array(z.unknown()).optional() }),
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
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType];
