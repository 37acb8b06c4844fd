"""Tests of the milestone_tracker drop-in against the real, built sidecar (node bin/tinytorch-milestones.js).

Each test has its own temporary HOME. Every test runs twice: through the per-user daemon (classes named
``...ThroughDaemonTest``, one daemon in a private XDG_RUNTIME_DIR shared by all of them, as by a user's
processes) and through a spawned sidecar (TINYTORCH_MILESTONES_DAEMON=0). The original tracker's recorded behaviour
(test/fixtures/golden/original-tracker.json) is replayed through the Python API.
Set TINYTORCH_MILESTONES_TEST_CMD to test another sidecar command than this checkout's build.
"""

import contextlib
import importlib.util
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
BIN = os.path.join(ROOT, 'bin', 'tinytorch-milestones.js')
TRACKER = os.path.join(HERE, 'milestone_tracker.py')
GOLDEN_CANDIDATES = [os.path.join(ROOT, 'test', 'fixtures', 'golden', 'original-tracker.json')]
sys.path.insert(0, HERE)

import milestone_tracker  # noqa: E402
import tinytorch_milestones_client as rpc  # noqa: E402

PERCEPTRON_MESSAGE = (
    '🔓 MILESTONE UNLOCKED!\n\n1957 - The Perceptron\nFirst learning algorithm with automatic weight updates\n\n'
    '🎉 You can now verify that gradient descent actually works!\n\nRun: tito milestones run perceptron'
)
ENV_KEYS = ('HOME', 'TINYTORCH_MILESTONES_CMD', 'TINYTORCH_PROGRESS_FILE', 'TINYTORCH_CATALOG', 'TINYTORCH_WORKSPACE',
            'TINYTORCH_EXPORTS', 'TINYTORCH_MILESTONES_PLAIN', 'TINYTORCH_MILESTONES_DAEMON', 'XDG_RUNTIME_DIR')


def sidecar_command():
    configured = os.environ.get('TINYTORCH_MILESTONES_TEST_CMD')
    if configured:
        return configured
    if not os.path.isfile(BIN) or not os.path.isdir(os.path.join(ROOT, 'dist')):
        raise RuntimeError('the sidecar is not built (%s): run `npm run build` first (the README test command does)' % BIN)
    return '%s %s' % (shlex.quote(shutil.which('node') or 'node'), shlex.quote(BIN))


def setUpModule():
    global SIDECAR, RUNTIME
    SIDECAR = sidecar_command()
    # Never a real user's daemon: this module's daemon lives in a folder of its own, and is stopped at the end.
    RUNTIME = tempfile.mkdtemp(prefix='tinytorch-milestones-test-runtime-')


def stop_daemon(runtime):
    """`daemon stop` for the daemon whose folder is under ``runtime``."""
    subprocess.run(shlex.split(SIDECAR) + ['daemon', 'stop'], env=dict(os.environ, XDG_RUNTIME_DIR=runtime),
                   capture_output=True, timeout=30)


def tearDownModule():
    stop_daemon(RUNTIME)
    shutil.rmtree(RUNTIME, ignore_errors=True)


def load_golden():
    for path in GOLDEN_CANDIDATES:
        if os.path.isfile(path):
            with open(path, encoding='utf-8') as handle:
                return json.load(handle)
    return None


class SidecarCase(unittest.TestCase):
    """A fresh HOME and a sidecar command for each test; every connection closed afterwards.
    ``via_daemon``: the connection is the per-user daemon (else a spawned sidecar)."""

    via_daemon = False

    @staticmethod
    def unlock_perceptron(console=None):
        """What tito does module by module until the first milestone unlocks (02_autograd unlocks the perceptron)."""
        for module in ('00_setup', '01_tensor', '02_autograd'):
            milestone_tracker.check_module_export(module, console=console)

    def setUp(self):
        self.saved_env = {key: os.environ.get(key) for key in ENV_KEYS}
        self.tmp = tempfile.TemporaryDirectory()
        self.home = os.path.join(self.tmp.name, 'home')
        os.makedirs(self.home)
        for key in ENV_KEYS:
            os.environ.pop(key, None)
        os.environ.update(HOME=self.home, TINYTORCH_MILESTONES_CMD=SIDECAR, TINYTORCH_CATALOG='seed', TINYTORCH_MILESTONES_PLAIN='1',
                          XDG_RUNTIME_DIR=RUNTIME, TINYTORCH_MILESTONES_DAEMON='1' if self.via_daemon else '0')
        self.progress_path = os.path.join(self.home, '.tinytorch', 'progress.json')
        for name in ('MILESTONES', 'MILESTONE_ORDER'):
            milestone_tracker.__dict__.pop(name, None)

    def tearDown(self):
        used = [client for client in list(rpc._clients.values()) if client.running]
        for client in used:  # each connection went the way this class says
            self.assertEqual(client.via_daemon, self.via_daemon, 'via_daemon of %s' % client.progress_file)
        rpc.close_all()
        for key, value in self.saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self.tmp.cleanup()

    def write_progress(self, content):
        os.makedirs(os.path.dirname(self.progress_path), exist_ok=True)
        with open(self.progress_path, 'w') as handle:
            json.dump(content, handle, indent=2)

    def read_progress_text(self):
        if not os.path.exists(self.progress_path):
            return None
        with open(self.progress_path, encoding='utf-8') as handle:
            return handle.read()

    def read_progress(self):
        text = self.read_progress_text()
        return None if text is None else json.loads(text)

    def quietly(self, function, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            value = function(*args)
        return value, out.getvalue()

    def cli(self, *args, env=None):
        return subprocess.run(
            [sys.executable, TRACKER, *args], capture_output=True, text=True, timeout=60,
            env=dict(os.environ, **(env or {})), encoding='utf-8',
        )


class UnlockTest(SidecarCase):
    def test_the_unlock_sequence_gives_the_perceptron_with_the_exact_message(self):
        self.assertEqual(milestone_tracker.check_module_export('00_setup'), {'newly_unlocked': [], 'messages': []})
        self.assertEqual(milestone_tracker.check_module_export('01_tensor'), {'newly_unlocked': [], 'messages': []})
        self.assertEqual(
            milestone_tracker.check_module_export('02_autograd'),
            {'newly_unlocked': ['perceptron'], 'messages': [PERCEPTRON_MESSAGE]},
        )
        self.assertEqual(self.read_progress_text(), json.dumps({
            'completed_modules': ['00_setup', '01_tensor', '02_autograd'],
            'unlocked_milestones': ['perceptron'],
            'completed_milestones': [],
        }, indent=2))

    def test_repeats_change_nothing(self):
        self.unlock_perceptron()
        before = self.read_progress_text()
        self.assertEqual(milestone_tracker.check_module_export('02_autograd'), {'newly_unlocked': [], 'messages': []})
        self.quietly(milestone_tracker.MilestoneTracker().mark_module_complete, '01_tensor')
        self.assertEqual(self.read_progress_text(), before)

    def test_several_unlocks_at_once_come_in_catalog_order(self):
        self.write_progress({'completed_modules': ['04_training', '03_nn', '02_autograd', '01_tensor', '00_setup'],
                             'unlocked_milestones': [], 'completed_milestones': []})
        result = milestone_tracker.check_module_export('07_spatial')
        self.assertEqual(result['newly_unlocked'], ['perceptron', 'xor', 'mlp_digits', 'cnn'])
        self.assertEqual([message.split('\n')[-1] for message in result['messages']],
                         ['Run: tito milestones run %s' % milestone for milestone in result['newly_unlocked']])
        self.assertEqual(self.read_progress()['unlocked_milestones'], ['perceptron', 'xor', 'mlp_digits', 'cnn'])

    def test_mark_module_complete_does_not_recheck_a_completed_module_but_check_module_export_does(self):
        self.write_progress({'completed_modules': ['00_setup', '01_tensor', '02_autograd'],
                             'unlocked_milestones': [], 'completed_milestones': []})
        tracker = milestone_tracker.MilestoneTracker()
        _, printed = self.quietly(tracker.mark_module_complete, '02_autograd')
        self.assertEqual(printed, '')
        self.assertFalse(tracker.can_run_milestone('perceptron'))
        _, printed = self.quietly(tracker.mark_module_complete, '03_nn')
        self.assertIn('1957 - The Perceptron', printed)
        self.assertTrue(tracker.can_run_milestone('perceptron'))
        self.assertEqual(tracker.progress['unlocked_milestones'], ['perceptron', 'xor'])

    def test_check_module_export_prints_panels_on_a_plain_console(self):
        class Console:
            def __init__(self):
                self.printed = []

            def print(self, *objects):
                self.printed.append(' '.join(str(item) for item in objects))

        console = Console()
        self.unlock_perceptron(console)
        self.assertEqual(console.printed, [PERCEPTRON_MESSAGE])

    def test_mark_milestone_complete_of_an_unknown_id_raises_key_error_and_saves_nothing(self):
        tracker = milestone_tracker.MilestoneTracker()
        self.quietly(tracker.mark_module_complete, '00_setup')
        before = self.read_progress_text()
        with self.assertRaises(KeyError):
            tracker.mark_milestone_complete('not_a_milestone')
        with self.assertRaises(KeyError):
            tracker.mark_milestone_complete('not a milestone/..')
        self.assertEqual(self.read_progress_text(), before)
        _, printed = self.quietly(tracker.mark_milestone_complete, 'xor')
        self.assertIn('1986 - Backpropagation (XOR)', printed)
        self.assertEqual(tracker.progress['completed_milestones'], ['xor'])

    def test_an_explicit_progress_file_gets_its_own_connection(self):
        other = os.path.join(self.tmp.name, 'elsewhere', 'progress.json')
        tracker = milestone_tracker.MilestoneTracker(progress_file=other)
        self.quietly(tracker.mark_module_complete, '01_tensor')
        self.assertEqual(tracker.progress['completed_modules'], ['01_tensor'])
        self.assertIsNone(self.read_progress())
        self.assertIs(rpc.get_client(other), tracker._client)
        self.assertIsNot(rpc.get_client(), tracker._client)

    def test_one_connection_is_reused(self):
        milestone_tracker.check_module_export('00_setup')
        client = rpc.get_client()
        session, pid = client._session, client.pid
        milestone_tracker.check_module_export('01_tensor')
        self.quietly(milestone_tracker.show_progress)
        self.assertIs(rpc.get_client(), client)
        self.assertIs(client._session, session)
        self.assertEqual(client.pid, pid)
        self.assertEqual(pid is None, self.via_daemon)


class GoldenTest(SidecarCase):
    """A few recorded cases of the original tracker, replayed through the drop-in's API.

    The TypeScript suite (test/core/golden.test.ts) replays every case through the rules and the file store;
    here each case costs a sidecar, so a handful that together use every operation, a starting file, and an
    unknown milestone id show that the drop-in carries the same behaviour end to end.
    """

    CASES = (0, 1, 4, 6, 13, 17)

    def test_the_original_tracker_s_recorded_cases(self):
        golden = load_golden()
        if golden is None:
            self.skipTest('test/fixtures/golden/original-tracker.json is missing')
        cases = [golden['cases'][index] for index in self.CASES]
        operations = {operation for case in cases for operation, _ in case['ops']}
        self.assertEqual(operations, {operation for case in golden['cases'] for operation, _ in case['ops']})
        self.assertTrue(any(case['initial_progress_file'] is not None for case in cases))
        for index, case in zip(self.CASES, cases):
            with self.subTest(case=index):
                self.replay(case)

    def replay(self, case):
        rpc.close_all()
        home = tempfile.mkdtemp(dir=self.tmp.name)
        os.environ['HOME'] = home
        self.progress_path = os.path.join(home, '.tinytorch', 'progress.json')
        if case['initial_progress_file'] is not None:
            self.write_progress(case['initial_progress_file'])
        tracker = milestone_tracker.MilestoneTracker()
        for step, ((operation, argument), expect) in enumerate(zip(case['ops'], case['expect'])):
            where = 'op %d %s(%r)' % (step, operation, argument)
            if operation == 'check_module_export':
                returned = milestone_tracker.check_module_export(argument)
            elif operation == 'mark_module_complete':
                returned, _ = self.quietly(tracker.mark_module_complete, argument)
            elif operation == 'mark_milestone_complete':
                returned, _ = self.quietly(tracker.mark_milestone_complete, argument)
            elif operation == 'can_run_milestone':
                returned = tracker.can_run_milestone(argument)
            else:
                self.fail('unknown operation in the golden file: %s' % operation)
            self.assertEqual(self.shape(returned), expect.get('returns'), where)
            expected_file = expect['progress_file']
            if expected_file is None:
                self.assertIsNone(self.read_progress_text(), where)
            else:
                # The original writes json.dump(indent=2): compare the bytes, which also checks the key order.
                self.assertEqual(self.read_progress_text(), json.dumps(expected_file, indent=2), where)

    @staticmethod
    def shape(returned):
        if not isinstance(returned, dict):
            return returned
        messages = [
            {'title': lines[0], 'name': lines[2], 'run': lines[-1], 'lines': len(lines)}
            for lines in (message.split('\n') for message in returned['messages'])
        ]
        return {'newly_unlocked': returned['newly_unlocked'], 'messages': messages}


class CatalogTest(SidecarCase):
    def test_milestones_and_order_come_from_the_catalog_on_first_access(self):
        self.assertNotIn('MILESTONES', milestone_tracker.__dict__)
        self.assertEqual(milestone_tracker.MILESTONE_ORDER, ['perceptron', 'xor', 'mlp_digits', 'cnn', 'transformer'])
        perceptron = milestone_tracker.MILESTONES['perceptron']
        self.assertEqual(perceptron, {
            'name': '1957 - The Perceptron',
            'requires': ['00_setup', '01_tensor', '02_autograd'],
            'test': 'test_perceptron_learning',
            'description': 'First learning algorithm with automatic weight updates',
            'unlock_message': '🎉 You can now verify that gradient descent actually works!',
        })
        golden = load_golden()
        if golden is not None:
            for milestone, recorded in golden['catalog']['milestones'].items():
                for key in ('name', 'requires', 'test'):
                    self.assertEqual(milestone_tracker.MILESTONES[milestone][key], recorded[key])
        from milestone_tracker import MILESTONES  # noqa: F401  (the from-import tito uses)

    def test_importing_starts_nothing(self):
        code = ('import sys; sys.path.insert(0, %r); import milestone_tracker, tinytorch_milestones_client as c; '
                'print(len(c._clients), "rich" in sys.modules)' % HERE)
        result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=30,
                                env=dict(os.environ, TINYTORCH_MILESTONES_CMD='/nonexistent/sidecar'))
        self.assertEqual(result.stdout.strip(), '0 False')
        self.assertEqual(result.stderr, '')


class ProgressAndListTest(SidecarCase):
    def test_show_progress_and_list_tests_print_the_sidecar_s_text(self):
        _, printed = self.quietly(milestone_tracker.list_tests)
        self.assertEqual(printed, 'No milestones unlocked yet. Complete more modules!\n')
        self.unlock_perceptron()
        _, printed = self.quietly(milestone_tracker.show_progress)
        self.assertIn('🎯 TinyTorch Milestone Progress', printed)
        self.assertRegex(printed, r'1957 - The Perceptron +🔓 Unlocked +3/3 modules')
        self.assertRegex(printed, r'1986 - Backpropagation \(XOR\) +🔒 Locked +3/4 modules')
        self.assertIn('03_nn', printed.split("What's Next?")[1])
        _, printed = self.quietly(milestone_tracker.list_tests)
        self.assertIn('1957 - The Perceptron', printed)
        self.assertIn('pytest tests/milestones/test_learning_verification.py::test_perceptron_learning -v', printed)

    def test_reading_never_creates_the_file(self):
        self.quietly(milestone_tracker.show_progress)
        self.quietly(milestone_tracker.list_tests)
        self.assertFalse(milestone_tracker.MilestoneTracker().can_run_milestone('perceptron'))
        self.assertIsNone(self.read_progress_text())


class DeletedDirectoryTest(SidecarCase):
    def test_a_deleted_working_directory_still_records_the_module(self):
        gone = tempfile.mkdtemp()
        here = os.getcwd()
        try:
            os.chdir(gone)
            os.rmdir(gone)
            self.assertIsNone(rpc.current_directory())
            out = io.StringIO()
            with contextlib.redirect_stderr(out):
                milestone_tracker.check_module_export('00_setup')
            self.assertNotIn('Traceback', out.getvalue())
        finally:
            os.chdir(here)
        with open(self.progress_path) as file:
            self.assertIn('00_setup', json.load(file)['completed_modules'])


class GracefulTest(SidecarCase):
    def setUp(self):
        super().setUp()
        os.environ['TINYTORCH_MILESTONES_CMD'] = os.path.join(self.tmp.name, 'no-such-sidecar')

    def test_check_module_export_without_a_sidecar_returns_empty_results_and_prints_one_note(self):
        class Console:
            printed = []

            def print(self, *objects):
                self.printed.append(' '.join(str(item) for item in objects))

        console = Console()
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            self.assertEqual(milestone_tracker.check_module_export('01_tensor', console=console),
                             {'newly_unlocked': [], 'messages': []})
            self.assertEqual(milestone_tracker.check_module_export('01_tensor'), {'newly_unlocked': [], 'messages': []})
        self.assertEqual(len(console.printed), 1)
        self.assertIn('no-such-sidecar', console.printed[0])
        self.assertNotIn('\n', console.printed[0])
        self.assertNotIn('Traceback', console.printed[0])
        self.assertEqual(out.getvalue(), '')

    def test_unexpected_result_shapes_give_one_note_and_empty_results(self):
        class Client:
            def __init__(self, answer):
                self.answer = answer

            def request(self, method, params):
                return self.answer

        class Console:
            def __init__(self):
                self.printed = []

            def print(self, *objects):
                self.printed.append(' '.join(str(item) for item in objects))

        real = milestone_tracker._rpc.get_client
        try:
            for answer in [None, [], 'text', {}, {'newlyUnlocked': None, 'messages': []}, {'newlyUnlocked': [], 'messages': 3},
                           {'newlyUnlocked': 5, 'messages': ['x']}]:
                milestone_tracker._rpc.get_client = lambda answer=answer: Client(answer)
                console = Console()
                self.assertEqual(milestone_tracker.check_module_export('01_tensor', console=console),
                                 {'newly_unlocked': [], 'messages': []}, repr(answer))
                self.assertEqual(len(console.printed), 1, repr(answer))
                self.assertIn('unexpected shape', console.printed[0])
        finally:
            milestone_tracker._rpc.get_client = real

    def test_the_cli_prints_a_note_not_a_traceback(self):
        result = self.cli('complete', '01_tensor')
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, '')
        self.assertNotIn('Traceback', result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertEqual(self.quietly(getattr, milestone_tracker, 'MILESTONES')[0], {})


class PlainPathTest(SidecarCase):
    def test_rich_is_never_imported_on_the_plain_path(self):
        os.environ.pop('TINYTORCH_MILESTONES_PLAIN', None)
        code = '\n'.join([
            'import sys; sys.path.insert(0, %r)' % HERE,
            'import milestone_tracker as m',
            'r = m.check_module_export("00_setup")',
            'm.MILESTONES',
            'assert "rich" not in sys.modules, "imported without drawing"',
            'm.check_module_export("01_tensor", console=None)',
            'm.show_progress(); m.list_tests()',
            'm.MilestoneTracker().mark_module_complete("02_autograd")',
            'import importlib.util',
            'available = importlib.util.find_spec("rich") is not None',
            'print("RICH", "rich" in sys.modules, available)',
        ])
        result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60, encoding='utf-8')
        self.assertEqual(result.returncode, 0, result.stderr)
        loaded, available = result.stdout.strip().splitlines()[-1].split()[1:]
        if available == 'False':
            self.assertEqual(loaded, 'False')
            self.assertIn(PERCEPTRON_MESSAGE, result.stdout)

    def test_with_plain_forced_rich_is_not_imported_even_when_installed(self):
        code = ('import sys; sys.path.insert(0, %r); import milestone_tracker as m; m.show_progress(); '
                'm.MilestoneTracker().mark_module_complete("01_tensor"); print("rich" in sys.modules)' % HERE)
        result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60, encoding='utf-8')
        self.assertEqual(result.stdout.strip().splitlines()[-1], 'False', result.stderr)


@unittest.skipIf(importlib.util.find_spec('rich') is None, 'rich is not installed for this Python: the rich rendering path is not tested')
class RichPathTest(SidecarCase):
    @staticmethod
    def drawn_by(*draws):
        """What the drop-in's own rich console draws for these calls (TINYTORCH_MILESTONES_PLAIN unset)."""
        from rich.console import Console
        os.environ.pop('TINYTORCH_MILESTONES_PLAIN', None)
        milestone_tracker._rich_console = Console(file=io.StringIO(), width=100)
        try:
            for draw in draws:
                draw()
            return milestone_tracker._rich_console.file.getvalue()
        finally:
            milestone_tracker._rich_console = None

    def unlock_drawn(self):
        """The panels a plain rich console shows while the perceptron unlocks."""
        from rich.console import Console
        console = Console(file=io.StringIO(), width=100, force_terminal=False)
        self.unlock_perceptron(console)
        return console.file.getvalue()

    def test_rich_panels_and_table(self):
        drawn = self.unlock_drawn()
        self.assertIn('MILESTONE UNLOCKED!', drawn)
        self.assertIn('╔', drawn)
        drawn = self.drawn_by(milestone_tracker.show_progress)
        self.assertIn('TinyTorch Milestone Progress', drawn)
        self.assertIn("What's Next?", drawn)
        self.assertIn('3/3 modules', drawn)

    def test_the_unlock_panel_is_the_originals(self):
        """The panel tito shows, byte for byte as the original drew it (fixtures/original-unlock-panel.json): with its
        styles where this is the recording's rich, else as plain text (other versions may style differently)."""
        from importlib.metadata import version
        from rich.console import Console
        with open(os.path.join(HERE, 'fixtures', 'original-unlock-panel.json'), encoding='utf-8') as handle:
            original = json.load(handle)
        styled = version('rich') == original['rich']
        console = Console(file=io.StringIO(), width=100, force_terminal=styled, color_system='standard' if styled else None,
                          legacy_windows=False)
        self.unlock_perceptron(console)
        self.assertEqual(console.file.getvalue(), original['styled' if styled else 'plain'])

    def test_drawn_like_the_original(self):
        """The original's looks: a rounded table, the 📍 panel, 'Run the verification test:', the list's header."""
        unlock = self.unlock_drawn()
        self.assertIn('Run the verification test:', unlock)
        self.assertIn('tito milestones run perceptron', unlock)
        self.assertNotIn('Run: tito', unlock)
        drawn = self.drawn_by(milestone_tracker.show_progress, milestone_tracker.list_tests)
        self.assertIn('╭', drawn)
        self.assertNotIn('┌', drawn)
        self.assertIn("📍 What's Next?", drawn)
        self.assertIn('Complete these modules:', drawn)
        self.assertIn('• 03_nn', drawn)
        self.assertIn('🔓 Unlocked Milestone Tests:', drawn)
        self.assertIn('• 1957 - The Perceptron', drawn)


class CliTest(SidecarCase):
    def test_complete_complete_complete_then_progress(self):
        outputs = [self.cli('complete', module) for module in ('00_setup', '01_tensor', '02_autograd')]
        self.assertEqual([output.returncode for output in outputs], [0, 0, 0], [output.stderr for output in outputs])
        self.assertEqual(outputs[0].stdout + outputs[1].stdout, '')
        self.assertEqual(outputs[2].stdout, '\n' + PERCEPTRON_MESSAGE + '\n\n')
        self.assertEqual(self.read_progress(), {
            'completed_modules': ['00_setup', '01_tensor', '02_autograd'],
            'unlocked_milestones': ['perceptron'],
            'completed_milestones': [],
        })
        progress = self.cli('progress')
        self.assertEqual(progress.returncode, 0)
        self.assertRegex(progress.stdout, r'1957 - The Perceptron +🔓 Unlocked +3/3 modules')
        self.assertEqual(self.cli().stdout, progress.stdout)
        listed = self.cli('list')
        self.assertEqual(listed.returncode, 0)
        self.assertIn('test_perceptron_learning', listed.stdout)

    def test_a_terminal_in_a_non_utf8_locale_gets_text_not_a_traceback(self):
        # What Python picks in a latin-1 locale (en_US.ISO-8859-1); the emoji of the messages cannot be encoded.
        latin1 = dict(os.environ, PYTHONIOENCODING='latin-1')
        for args in (('complete', '00_setup'), ('complete', '01_tensor'), ('complete', '02_autograd'), ('progress',), ('list',)):
            result = subprocess.run([sys.executable, TRACKER, *args], capture_output=True, timeout=60, env=latin1)
            self.assertEqual(result.returncode, 0, result.stderr.decode('latin-1'))
            self.assertNotIn(b'Traceback', result.stderr)
            if args == ('complete', '02_autograd'):
                self.assertIn(b'? MILESTONE UNLOCKED!\n\n1957 - The Perceptron', result.stdout)

    def test_usage_and_bad_module_names(self):
        result = self.cli('frobnicate')
        self.assertEqual(result.returncode, 2)
        self.assertIn('usage:', result.stderr)
        result = self.cli('complete', 'not a module')
        self.assertEqual(result.returncode, 1)
        self.assertIn('01_tensor', result.stderr)
        self.assertNotIn('Traceback', result.stderr)

    def test_run_refuses_a_locked_milestone(self):
        result = self.cli('run', 'perceptron')
        self.assertEqual(result.returncode, 1)
        self.assertNotIn('Traceback', result.stderr)
        self.assertTrue(result.stderr.strip())


class RunTest(SidecarCase):
    """run_milestone against a tiny workspace whose learning test passes (or fails) at once."""

    def make_workspace(self, returns):
        workspace = os.path.join(self.tmp.name, 'workspace')
        tests = os.path.join(workspace, 'tests', 'milestones')
        os.makedirs(tests)
        with open(os.path.join(tests, 'test_learning_verification.py'), 'w') as handle:
            handle.write('def test_perceptron_learning():\n    print("epoch 1: loss 0.5 🎉")\n    return %r\n' % returns)
        os.environ['TINYTORCH_WORKSPACE'] = workspace
        return workspace

    def unlock(self):
        self.unlock_perceptron()

    def run_or_skip(self, tracker, milestone, chunks):
        try:
            return tracker.run_milestone(milestone, on_output=lambda stream, text: chunks.append((stream, text)))
        except rpc.RpcError as error:
            if error.code == -32601:
                self.skipTest('this sidecar has no milestones/run yet')
            raise

    def test_a_passing_run_streams_its_output_and_completes_the_milestone(self):
        try:
            import pytest  # noqa: F401
        except ImportError:
            self.skipTest('pytest is not installed for %s' % sys.executable)
        self.make_workspace(True)
        self.unlock()
        tracker = milestone_tracker.MilestoneTracker()
        chunks = []
        result, printed = self.quietly(self.run_or_skip, tracker, 'perceptron', chunks)
        self.assertTrue(result['passed'], result['output_tail'])
        self.assertEqual(result['exit_code'], 0)
        self.assertTrue(result['newly_completed'])
        self.assertTrue(chunks)
        self.assertIn('test_perceptron_learning', ''.join(text for _, text in chunks))
        self.assertEqual(tracker.progress['completed_milestones'], ['perceptron'])

    def test_a_test_that_returns_false_fails(self):
        try:
            import pytest  # noqa: F401
        except ImportError:
            self.skipTest('pytest is not installed for %s' % sys.executable)
        self.make_workspace(False)
        self.unlock()
        tracker = milestone_tracker.MilestoneTracker()
        result, _ = self.quietly(self.run_or_skip, tracker, 'perceptron', [])
        self.assertFalse(result['passed'])
        self.assertEqual(tracker.progress['completed_milestones'], [])

    def test_a_locked_milestone_is_refused_with_its_kind(self):
        self.make_workspace(True)
        tracker = milestone_tracker.MilestoneTracker()
        with self.assertRaises(rpc.RpcError) as caught:
            self.run_or_skip(tracker, 'xor', [])
        self.assertEqual(caught.exception.kind, 'milestone-locked')
        self.assertEqual(caught.exception.data['missing'], ['00_setup', '01_tensor', '02_autograd', '03_nn'])


def _through_the_daemon(namespace):
    """Adds a ``...ThroughDaemonTest`` twin of every test class, run through the per-user daemon."""
    for name, case in list(namespace.items()):
        if isinstance(case, type) and issubclass(case, SidecarCase) and name.endswith('Test') and not case.via_daemon:
            twin = name[:-len('Test')] + 'ThroughDaemonTest'
            namespace[twin] = type(twin, (case,), {'via_daemon': True, '__module__': case.__module__})


_through_the_daemon(globals())

if __name__ == '__main__':
    unittest.main()
