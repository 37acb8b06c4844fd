// What LSP editors get besides our own notifications: window/showMessage pop-ups, and run progress bars they can cancel.
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { MessageType, Method, type ProgressToken } from '../../protocol/plain.js';
import type { EditorProfile } from '../core/editor-profile.js';
import { requestToClientFailedText, sendFailedText } from '../core/messages.js';
import { checkParams } from '../core/params.js';
import type { Logger, Notifier, ProgressBar } from '../ports.js';

export interface Editor {
  /** `inner`'s notifications, plus what this client's profile asks for. */
  notifier(inner: Notifier, profile: EditorProfile): Notifier;
}

/** One per connection: it owns the `window/workDoneProgress/cancel` handler and the tokens it creates. */
export function createEditor(connection: MessageConnection, logger: Logger): Editor {
  const cancels = new Map<ProgressToken, () => void>();
  connection.onNotification(Method.WorkDoneProgressCancel, (raw: unknown) => {
    const cancel = (params: unknown) => cancels.get((params as { token: ProgressToken }).token)?.();
    // Params zod refuses are ignored, as a notification has no answer to carry the error.
    const checked = checkParams(Method.WorkDoneProgressCancel, raw);
    if (checked.valid) cancel(checked.params);
    else checked.decided.then(cancel, () => {});
  });
  let created = 0;
  const send = (method: string, params: unknown) => {
    connection.sendNotification(method, params).catch((error: unknown) => logger.error(sendFailedText(method, String(error))));
  };

  return {
    notifier(inner, profile) {
      const popup = (message: string) => {
        if (profile.showMessage) send(Method.ShowMessage, { type: MessageType.Info, message });
      };
      return {
        ...inner,
        unlocked(params) {
          inner.unlocked(params);
          popup(params.message);
        },
        completed(params) {
          inner.completed(params);
          popup(params.message);
        },
        progressBar(requestToken, onCancel): ProgressBar | null {
          let token = requestToken;
          if (token === undefined) {
            if (!profile.workDoneProgress) return null;
            token = `tinytorch-milestones/run/${++created}`;
            // Never waited on: the run starts at once, and a client that never answers (ALE) holds nothing up.
            // The request goes out before the first $/progress, so the client knows the token when it sees it.
            connection
              .sendRequest(Method.WorkDoneProgressCreate, { token })
              .catch((error: unknown) => logger.warn(requestToClientFailedText(Method.WorkDoneProgressCreate, String(error))));
          }
          const bar = token;
          cancels.set(bar, onCancel);
          return {
            report: (value) => send(Method.WorkDoneProgress, { token: bar, value }),
            close: () => {
              if (cancels.get(bar) === onCancel) cancels.delete(bar);
            },
          };
        },
      };
    },
  };
}
