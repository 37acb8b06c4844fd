"""`tito milestones` through the sidecar (tito_milestones.py), every subcommand, against the real built sidecar.
The plain-text path; the rich path is drawn when the Python running the tests has rich."""

import io
import contextlib
import os
import sys
import unittest

from test_milestone_tracker import SidecarCase, _through_the_daemon, setUpModule, tearDownModule  # noqa: F401 (unittest's module hooks)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import milestone_tracker  # noqa: E402
import tinytorch_milestones_client as rpc  # noqa: E402
import tito_milestones  # noqa: E402


class TitoMilestonesTest(SidecarCase):
    def setUp(self):
        super().setUp()
        os.environ['TINYTORCH_CATALOG'] = 'tinytorch'
        self._rich = milestone_tracker._rich_console

    def tearDown(self):
        milestone_tracker._rich_console = self._rich
        super().tearDown()

    def tito(self, *argv):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = tito_milestones.main(list(argv))
        return code, out.getvalue()

    def test_list_info_status_timeline_test_follow_the_sidecar(self):
        code, text = self.tito('list', '--simple')
        self.assertEqual(code, 0)
        self.assertIn('🔒 01 - Perceptron (1957)', text)
        milestone_tracker.check_module_export('01_tensor')
        code, text = self.tito('list', '--simple')
        self.assertIn('🎯 01 - Perceptron (1957)', text)
        self.assertIn('🔒 02 - XOR Crisis (1969)', text)
        code, text = self.tito('list')
        self.assertIn('Run now: tito milestones run 01', text)
        self.assertIn('Required: complete 02_activations', text)
        code, text = self.tito('info', '02')
        self.assertEqual(code, 0)
        self.assertIn('✓ 01_tensor', text)
        self.assertIn('✗ 02_activations', text)
        self.assertIn('milestones/02_1969_xor/02_xor_solved.py', text)
        code, text = self.tito('status', '--detailed')
        self.assertEqual(code, 0)
        self.assertIn('Perceptron (1957)', text)
        self.assertIn('02 XOR Crisis (1969): 1/2 modules; missing: 02_activations', text)
        code, text = self.tito('timeline')
        self.assertIn('0/6 completed', text)
        code, text = self.tito('timeline', '--horizontal')
        self.assertIn('◐━━○', text)
        code, text = self.tito('test')
        self.assertIn('XOR Crisis (1969) needs more modules', text)
        self.assertIn('tito module complete 02', text)
        code, text = self.tito('test', '01')
        self.assertIn('every required module is completed', text)

    def test_refusals_are_one_sentence_and_exit_1(self):
        code, text = self.tito('run', '02')
        self.assertEqual(code, 1)
        self.assertIn('XOR Crisis (1969) is locked: complete 01_tensor, 02_activations first.', text)
        self.assertNotIn('Traceback', text)
        code, text = self.tito('info', '99')
        self.assertEqual(code, 1)
        self.assertIn('Unknown milestone: 99', text)
        code, text = self.tito()
        self.assertEqual(code, 0)
        self.assertIn('Milestone Commands', text)

    def test_a_module_outside_the_catalog_is_recorded_and_said(self):
        class Console:
            def __init__(self):
                self.lines = []

            def print(self, text=''):
                self.lines.append(str(text))

        console = Console()
        result = milestone_tracker.check_module_export('08_spatial', console=console)  # tito's own (wrong) name
        self.assertEqual(result, {'newly_unlocked': [], 'messages': []})
        self.assertEqual(console.lines, ['08_spatial is not a module of the tinytorch catalog (did you mean 09_spatial?).'])
        self.assertIn('08_spatial', self.read_progress()['completed_modules'])
        console.lines.clear()
        milestone_tracker.check_module_export('01_tensor', console=console)
        self.assertFalse(any('not a module' in line for line in console.lines), console.lines)

    def test_tito_builds_it_with_its_config_and_a_subparser(self):
        import argparse
        parser = argparse.ArgumentParser(prog='tito')
        command = tito_milestones.MilestoneCommand(config=object())
        command.add_arguments(parser.add_subparsers(dest='command').add_parser(command.name))
        args = parser.parse_args(['milestones', 'run', '01', '--skip-checks'])
        self.assertEqual((args.milestone_command, args.milestone_id, args.skip_checks), ('run', '01', True))
        self.assertEqual(command.name, 'milestones')


class NoSidecarTest(unittest.TestCase):
    def test_the_note_says_how_to_install_it(self):
        saved_bin, saved_path = rpc.CHECKOUT_BIN, os.environ.get('PATH', '')
        saved_cmd = os.environ.pop('TINYTORCH_MILESTONES_CMD', None)
        rpc.CHECKOUT_BIN = os.path.join(HERE, 'no-such-build', 'tinytorch-milestones.js')
        os.environ['PATH'] = os.path.join(HERE, 'no-such-folder')
        try:
            with self.assertRaises(rpc.SidecarUnavailable) as caught:
                rpc.find_sidecar()
        finally:
            rpc.CHECKOUT_BIN = saved_bin
            os.environ['PATH'] = saved_path
            if saved_cmd is not None:
                os.environ['TINYTORCH_MILESTONES_CMD'] = saved_cmd
        self.assertIn('npm install -g tinytorch-milestones', str(caught.exception))


_through_the_daemon(globals())  # every test also through the per-user daemon (test_milestone_tracker.py)

if __name__ == '__main__':
    unittest.main()
