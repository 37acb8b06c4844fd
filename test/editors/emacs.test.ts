// Emacs in batch mode with eglot and the README's snippet: an export pops up, the progress command answers, nothing is lost.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGoneWithin } from '../helpers/process.js';
import { driveEditor, makeWorkspace, readmeSnippet, UNLOCKED_BY_EXPORT, type EditorWorkspace } from './harness.js';

/** Records what eglot is handed (its own handlers still run and print), then drives the snippet as a user would. */
const DRIVER = `
(require 'package)
;; Debian's elpa-eglot (beside Emacs 28) is a system package; Emacs 29+ has eglot built in.
(add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa")
(package-initialize)
(require 'cl-lib)
(defvar ttm-shown 0)
(defun ttm-report (key value)
  (with-temp-buffer
    (insert key "=" (replace-regexp-in-string "\\n" "\\\\\\\\n" (format "%s" value)) "\\n")
    (append-to-file (point-min) (point-max) (getenv "TTM_REPORT"))))
(defun ttm-wait (what seconds predicate)
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (ttm-report "timeout" what)
      (kill-emacs 3))))
(load (getenv "TTM_SNIPPET") nil t)
(advice-add 'eglot-handle-notification :before
            (lambda (_server method &rest params)
              (pcase method
                ('window/showMessage
                 (cl-incf ttm-shown)
                 (ttm-report "showMessage" (format "%s %s" (plist-get params :type) (plist-get params :message))))
                ('window/logMessage
                 (when (string-prefix-p "Watching" (plist-get params :message))
                   (ttm-report "ready" "watching"))))))
(ttm-report "emacs" (format "GNU Emacs %s, eglot %s" emacs-version
                            (or (ignore-errors (package-desc-version (cadr (assq 'eglot package-alist)))) "built in")))
(find-file (getenv "TTM_PYTHON_FILE"))
(call-interactively #'eglot)
(ttm-wait "eglot to connect" 60 (lambda () (eglot-current-server)))
(ttm-wait "an unlock pop-up (the test writes an export once the sidecar watches)" 90 (lambda () (> ttm-shown 0)))
(ttm-report "printed" (tinytorch-milestones))
(let* ((server (eglot-current-server))
       (process (jsonrpc--process server)))
  (eglot-shutdown server)
  (ttm-wait "the sidecar to be gone" 30 (lambda () (not (process-live-p process))))
  (ttm-report "exit" (format "%s %s" (process-status process) (process-exit-status process))))
(kill-emacs 0)
`;

let ws: EditorWorkspace;
test.before(() => {
  ws = makeWorkspace('emacs');
});
test.after(() => ws.cleanup());

test('Emacs eglot with the README snippet: the export pops up, M-x tinytorch-milestones answers, the sidecar leaves cleanly', async () => {
  const version = execFileSync('emacs', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const snippet = join(ws.folder, 'tinytorch-milestones.el');
  writeFileSync(snippet, readmeSnippet('emacs-eglot'));
  const script = join(ws.folder, 'driver.el');
  writeFileSync(script, DRIVER);
  const env = { ...ws.env, TTM_REPORT: ws.reportFile, TTM_PYTHON_FILE: ws.pythonFile, TTM_SNIPPET: snippet };
  const { run, report, context } = await driveEditor(ws, 'emacs', ['--batch', '-Q', '-l', script], { env, version });
  assert.is(report.timeout, undefined, context);
  assert.is(run.code, 0, context);
  const shown = report.showMessage ?? [];
  assert.is(shown.length, 1, context);
  assert.match(shown[0]!, /^3 🔓 MILESTONE UNLOCKED!/, context);
  assert.ok(shown[0]!.includes(UNLOCKED_BY_EXPORT.name), context);
  // What the user saw: eglot's own message in the echo area (stderr in batch mode).
  assert.ok(run.stderr.includes('MILESTONE UNLOCKED!'), context);
  assert.ok(
    (report.printed ?? []).some((line) => line.includes('TinyTorch Milestone Progress') && line.includes(UNLOCKED_BY_EXPORT.name)),
    context,
  );
  // Emacs 28's jsonrpc deletes the process right after `exit` (SIGKILL): then the progress file must be intact.
  const [status, code] = (report.exit?.[0] ?? '').split(' ');
  assert.ok((status === 'exit' && code === '0') || status === 'signal', context);
  assert.equal(ws.progress(), { completed_modules: ['00_setup', '01_tensor', UNLOCKED_BY_EXPORT.module], unlocked_milestones: [UNLOCKED_BY_EXPORT.id], completed_milestones: [] });
  for (const pid of ws.sidecarPids()) assert.ok(await isGoneWithin(pid, 5000), `sidecar ${pid} still running`);
  console.log(
    `  ${report.emacs?.[0]}: showMessage shown by eglot, M-x tinytorch-milestones printed the progress table, sidecar ${status === 'exit' ? `exit ${code}` : `killed by Emacs (signal ${code})`}, progress file intact`,
  );
});

test.run();
