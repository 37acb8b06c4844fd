// Vim 9 with the README's snippet (Vim's own lsp channel mode): an export pops up, :Milestones answers, the sidecar exits 0.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGoneWithin } from '../helpers/process.js';
import { driveEditor, makeWorkspace, readmeSnippet, UNLOCKED_BY_EXPORT, type EditorWorkspace } from './harness.js';

/**
 * Sources the snippet unchanged, and reads what it showed from Vim's message history (`:messages`). The sidecar's
 * readiness ("Watching ...", a window/logMessage the snippet does not show) is read from Vim's channel log.
 */
const DRIVER = `
set nocompatible
call ch_logfile($TTM_CHANNEL_LOG, 'w')
function! TtmReport(key, value) abort
  call writefile([a:key .. '=' .. substitute(a:value, '\\n', '\\\\n', 'g')], $TTM_REPORT, 'a')
endfunction
function! TtmWait(what, ms, condition) abort
  let l:waited = 0
  while !eval(a:condition) && l:waited < a:ms
    sleep 50m
    let l:waited += 50
  endwhile
  if !eval(a:condition)
    call TtmReport('timeout', a:what)
    call TtmReport('messages', execute('messages'))
    cquit 3
  endif
endfunction
call TtmReport('vim', split(execute('version'), "\\n")[0])
source $TTM_SNIPPET
" Runs after the snippet's own VimLeavePre (it shuts the sidecar down): how did the sidecar leave?
autocmd VimLeavePre * call TtmReport('exit', join(map(job_info(), {_, job -> job_info(job).status .. ' ' .. job_info(job).exitval}), ','))
filetype on
execute 'edit' fnameescape($TTM_PYTHON_FILE)
call TtmWait('the sidecar to watch', 60000, 'match(readfile($TTM_CHANNEL_LOG), "Watching") >= 0')
call TtmReport('ready', 'watching')
call TtmWait('an unlock pop-up (the test writes an export once the sidecar watches)', 90000, 'execute("messages") =~# "TinyTorch: "')
Milestones
call TtmWait('the answer to :Milestones', 30000, 'execute("messages") =~# "TinyTorch Milestone Progress"')
call TtmReport('messages', execute('messages'))
qall!
`;

let ws: EditorWorkspace;
test.before(() => {
  ws = makeWorkspace('vim');
});
test.after(() => ws.cleanup());

test('Vim 9 with the README snippet: the export pops up, :Milestones answers, the sidecar exits 0', async () => {
  const version = execFileSync('vim', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const snippet = join(ws.folder, 'tinytorch_milestones.vim');
  writeFileSync(snippet, readmeSnippet('vim9'));
  const script = join(ws.folder, 'driver.vim');
  writeFileSync(script, DRIVER);
  const env = { ...ws.env, TTM_REPORT: ws.reportFile, TTM_PYTHON_FILE: ws.pythonFile, TTM_SNIPPET: snippet, TTM_CHANNEL_LOG: join(ws.folder, 'channel.log') };
  const { run, report, context } = await driveEditor(ws, 'vim', ['-N', '-u', 'NONE', '-i', 'NONE', '-n', '-es', '-S', script], { env, version });
  assert.is(report.timeout, undefined, context);
  assert.is(run.code, 0, context);
  const messages = (report.messages?.[0] ?? '').split('\\n');
  const shown = messages.filter((line) => line.startsWith('TinyTorch: '));
  assert.is(shown.length, 1, context);
  assert.match(shown[0]!, 'TinyTorch: 🔓 MILESTONE UNLOCKED! | 1957 - The Perceptron', context);
  assert.ok(
    messages.some((line) => line.includes('TinyTorch Milestone Progress')),
    context,
  );
  assert.ok(
    messages.some((line) => line.startsWith(UNLOCKED_BY_EXPORT.name) && line.includes('Unlocked')),
    context,
  );
  assert.equal(report.exit, ['dead 0'], context);
  assert.equal(ws.progress().unlocked_milestones, [UNLOCKED_BY_EXPORT.id]);
  for (const pid of ws.sidecarPids()) assert.ok(await isGoneWithin(pid, 5000), `sidecar ${pid} still running`);
  console.log(`  ${report.vim?.[0]}: "${shown[0]!.slice(0, 60)}..." in :messages (and a popup_notification), :Milestones showed the progress, sidecar exit 0`);
});

test.run();
