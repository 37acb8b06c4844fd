// What an LSP client is shown besides our notifications, from `popups` and its declared capabilities (docs/protocol.md §10).
import type { Popups } from '../../protocol/plain.js';

export interface EditorProfile {
  /** Send `window/showMessage` (Info) with each unlock and completion message. */
  readonly showMessage: boolean;
  /** The client declared `window.workDoneProgress`: a run with no token of its own gets a progress bar we create. */
  readonly workDoneProgress: boolean;
}

/** A client that skipped `initialize` is not an editor: it is shown nothing but our notifications. */
export const NO_EDITOR: EditorProfile = { showMessage: false, workDoneProgress: false };

const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined);

/**
 * `"auto"`: pop-ups for every LSP client that does not handle our notifications itself
 * (`experimental.milestones.notifications: true`, as the VS Code extension and our Python and shell clients declare).
 * `window.showMessage` in LSP describes only `showMessageRequest`'s buttons: eglot and ALE never declare it, yet they
 * show `window/showMessage`, so "declared window.showMessage" is read as "is an LSP client" (README, "Editors").
 */
export function editorProfile(popups: Popups, capabilities: unknown): EditorProfile {
  const handlesOurNotifications = field(field(field(capabilities, 'experimental'), 'milestones'), 'notifications') === true;
  const showMessage = popups === 'showMessage' || (popups === 'auto' && !handlesOurNotifications);
  return { showMessage, workDoneProgress: field(field(capabilities, 'window'), 'workDoneProgress') === true };
}
