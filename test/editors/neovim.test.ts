// Headless Neovim 0.7 with the README's snippet: an export pops up, :Milestones shows progress, the sidecar leaves with 0.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isAlive, isGoneWithin } from '../helpers/process.js';
import { driveEditor, makeWorkspace, readmeSnippet, readReport, UNLOCKED_BY_EXPORT, type EditorWorkspace } from './harness.js';

/** Wraps Neovim's own handlers (they still run) to record what the user is shown, then drives the snippet like a user. */
const driver = (snippet: string) => `
local report_path = os.getenv('TTM_REPORT')
local function report(key, value)
  local file = io.open(report_path, 'a')
  file:write(key .. '=' .. tostring(value):gsub('\\n', '\\\\n') .. '\\n')
  file:close()
end
local exit_code
local real_start_client = vim.lsp.start_client
vim.lsp.start_client = function(config)
  config.on_exit = function(code, signal) exit_code = code; report('exit', code .. ' ' .. signal) end
  return real_start_client(config)
end
local shown = 0
local show_message = vim.lsp.handlers['window/showMessage']
vim.lsp.handlers['window/showMessage'] = function(err, result, ctx, config)
  shown = shown + 1
  report('showMessage', result.type .. ' ' .. result.message)
  return show_message(err, result, ctx, config)
end
local log_message = vim.lsp.handlers['window/logMessage']
vim.lsp.handlers['window/logMessage'] = function(err, result, ctx, config)
  if result.message:match('^Watching') then report('ready', 'watching') end
  return log_message(err, result, ctx, config)
end
local real_print = print
print = function(...) report('printed', table.concat(vim.tbl_map(tostring, { ... }), ' ')); real_print(...) end
local function wait(what, ms, condition)
  if not vim.wait(ms, condition, 50) then report('timeout', what); vim.cmd('cquit 3') end
end

-- ---- the README's snippet ----
${snippet}
-- ---- end of the snippet ----

vim.cmd('filetype on')
vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('TTM_PYTHON_FILE')))
report('attached', tostring(milestones_client ~= nil or #vim.lsp.get_active_clients() > 0))
wait('the Python file to reach the sidecar', 60000, function() return #vim.lsp.buf_get_clients(0) > 0 end)
if os.getenv('TTM_MODE') == 'killed' then
  wait('the test to kill this Neovim', 120000, function() return false end)
end
wait('an unlock pop-up (the test writes an export once the sidecar watches)', 90000, function() return shown > 0 end)
vim.cmd('Milestones')
wait('the answer to :Milestones', 30000, function()
  local file = io.open(report_path); local text = file:read('*a'); file:close()
  return text:find('printed=', 1, true) ~= nil
end)
local client = vim.lsp.get_active_clients()[1]
report('client', client.name)
client.stop()
wait('the sidecar to exit after shutdown and exit', 30000, function() return exit_code ~= nil end)
vim.cmd('qall!')
`;

let ws: EditorWorkspace;
test.before(() => {
  ws = makeWorkspace('neovim');
});
test.after(() => ws.cleanup());

test('Neovim 0.7 with the README snippet: the export pops up, :Milestones answers, the sidecar exits 0', async () => {
  const version = execFileSync('nvim', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const script = join(ws.folder, 'driver.lua');
  writeFileSync(script, driver(readmeSnippet('neovim-0.7')));
  const env = { ...ws.env, TTM_REPORT: ws.reportFile, TTM_PYTHON_FILE: ws.pythonFile };
  const { run, report, context } = await driveEditor(ws, 'nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`], { env, version });
  assert.is(report.timeout, undefined, context);
  assert.is(run.code, 0, context);
  const shown = report.showMessage ?? [];
  assert.is(shown.length, 1, context);
  assert.match(shown[0]!, /^3 🔓 MILESTONE UNLOCKED!/, context);
  assert.ok(shown[0]!.includes(UNLOCKED_BY_EXPORT.name), context);
  assert.ok(
    (report.printed ?? []).some((line) => line.includes('TinyTorch Milestone Progress') && line.includes(UNLOCKED_BY_EXPORT.name)),
    context,
  );
  assert.equal(report.exit, ['0 0'], context);
  assert.equal(ws.progress().unlocked_milestones, [UNLOCKED_BY_EXPORT.id]);
  for (const pid of ws.sidecarPids()) assert.ok(await isGoneWithin(pid, 5000), `sidecar ${pid} still running`);
  console.log(`  ${version}: showMessage "${shown[0]!.split('\\n')[0]}", :Milestones printed the progress table, sidecar exit 0`);
});

test('killing Neovim (SIGKILL) ends the sidecar within 2 s', async () => {
  const killed = makeWorkspace('neovim-killed');
  try {
    const script = join(killed.folder, 'driver.lua');
    writeFileSync(script, driver(readmeSnippet('neovim-0.7')));
    const env = { ...killed.env, TTM_REPORT: killed.reportFile, TTM_PYTHON_FILE: killed.pythonFile, TTM_MODE: 'killed' };
    const child = spawn('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${script}`], { env, cwd: killed.workspace, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    for (let waited = 0; !readReport(killed.reportFile).ready; waited += 100) {
      assert.ok(waited < 120_000, `the sidecar never watched: ${JSON.stringify(readReport(killed.reportFile))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [pid] = killed.sidecarPids();
    assert.ok(pid && isAlive(pid), 'the sidecar runs while Neovim does');
    child.kill('SIGKILL');
    await exited;
    assert.ok(await isGoneWithin(pid, 2000), `sidecar ${pid} outlived Neovim by 2 s`);
  } finally {
    killed.cleanup();
  }
});

test('the Neovim 0.8+ snippet compiles (Neovim here is 0.7: it is not run)', () => {
  const out = execFileSync(
    'nvim',
    ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', 'lua local f, e = loadstring(os.getenv("TTM_SNIPPET")); io.stdout:write(f and "compiled" or e)', '-c', 'qall!'],
    {
      env: { ...process.env, TTM_SNIPPET: readmeSnippet('neovim-0.8') },
      encoding: 'utf8',
    },
  );
  assert.is(out.trim(), 'compiled', out);
});

test.run();
