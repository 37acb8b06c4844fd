"""Tests of the JSON-RPC client underneath milestone_tracker: framing, resynchronization, crashes, timeouts,
notifications and finding the sidecar. They use a fake sidecar (fixtures/fake_sidecar.py)."""

import json
import os
import shlex
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tinytorch_milestones_client as rpc  # noqa: E402

FAKE = os.path.join(HERE, 'fixtures', 'fake_sidecar.py')


def frame(message):
    body = json.dumps(message, ensure_ascii=False).encode('utf-8')
    return b'Content-Length: %d\r\n\r\n' % len(body) + body


class FrameReaderTest(unittest.TestCase):
    def test_counts_bytes_not_characters(self):
        message = {'jsonrpc': '2.0', 'method': 'milestones/unlocked', 'params': {'message': '🔓 MILESTONE UNLOCKED! é'}}
        self.assertEqual(rpc.FrameReader().feed(frame(message)), [message])

    def test_reassembles_split_frames_byte_by_byte(self):
        first, second = {'id': 1, 'result': '🎉'}, {'id': 2, 'result': None}
        reader, seen = rpc.FrameReader(), []
        for byte in frame(first) + frame(second):
            seen += reader.feed(bytes([byte]))
        self.assertEqual(seen, [first, second])

    def test_skips_stray_bytes_and_resynchronizes(self):
        good = {'id': 7, 'result': {'text': 'ok'}}
        stream = (
            b'(node:123) Warning: something printed to stdout\n'
            + b'Content-Length: 5\r\n\r\n{"a":'  # a body that is not JSON
            + b'Content-Length: x\r\n\r\n'  # a header that is not a number
            + b'Content-Length: 99999\r\n\r\n'  # a length that is too long: a header follows
            + frame(good)
            + b'\x00\xff trailing noise'
        )
        reader = rpc.FrameReader()
        self.assertEqual(reader.feed(stream), [good])
        self.assertGreater(reader.skipped, 0)
        self.assertEqual(reader.feed(frame(good)), [good])

    def test_waits_for_a_partial_header(self):
        reader = rpc.FrameReader()
        data = frame({'id': 1, 'result': 1})
        self.assertEqual(reader.feed(data[:8]), [])
        self.assertEqual(reader.feed(data[8:]), [{'id': 1, 'result': 1}])


class FakeSidecarCase(unittest.TestCase):
    mode = ''

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.tmp.name, 'log')
        self.env = dict(os.environ, FAKE_SIDECAR_MODE=self.mode, FAKE_SIDECAR_LOG=self.log)
        self.client = rpc.Client(os.path.join(self.tmp.name, 'progress.json'), command=[sys.executable, FAKE], env=self.env)

    def tearDown(self):
        self.client.close(timeout=2)
        self.tmp.cleanup()

    def read_log(self):
        with open(self.log) as handle:
            return handle.read()

    def starts(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as handle:
            return [line.split()[1] for line in handle if line.startswith('start ')]


class CrashTest(FakeSidecarCase):
    mode = 'crash-after-init'

    def test_a_crash_mid_call_fails_with_exit_code_and_stderr_then_restarts(self):
        self.env['FAKE_SIDECAR_ONCE'] = os.path.join(self.tmp.name, 'crashed-once')
        with self.assertRaises(rpc.SidecarCrashed) as caught:
            self.client.request('milestones/progress', {}, timeout=10)
        self.assertEqual(caught.exception.exit_code, 3)
        self.assertIn('fake sidecar: giving up', caught.exception.stderr_tail)
        self.assertIn('exited with code 3', str(caught.exception))
        self.assertIn('fake sidecar: something broke', str(caught.exception))
        # The next call starts a new sidecar, which answers.
        result = self.client.request('milestones/progress', {}, timeout=10)
        self.assertEqual(result['method'], 'milestones/progress')
        self.assertEqual(len(self.starts()), 2)
        self.assertEqual(result['pid'], int(self.starts()[1]))

    def test_every_pending_call_fails_when_it_crashes(self):
        errors = []

        def call():
            try:
                self.client.request('milestones/list', {}, timeout=10)
            except rpc.SidecarError as error:
                errors.append(error)

        self.client.start()
        threads = [threading.Thread(target=call) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        self.assertEqual(len(errors), 3)
        self.assertTrue(all(isinstance(error, rpc.SidecarCrashed) and error.exit_code == 3 for error in errors))


class CrashOnStartTest(FakeSidecarCase):
    mode = 'crash-on-init'

    def test_a_sidecar_that_dies_at_start_is_reported_with_its_stderr(self):
        with self.assertRaises(rpc.SidecarCrashed) as caught:
            self.client.request('milestones/progress', {}, timeout=10)
        self.assertEqual(caught.exception.exit_code, 3)
        self.assertIn('something broke', str(caught.exception))
        self.assertFalse(self.client.running)


class VersionTest(FakeSidecarCase):
    mode = 'version-2'

    def test_refuses_another_protocol_version(self):
        with self.assertRaises(rpc.SidecarUnavailable) as caught:
            self.client.request('milestones/progress', {}, timeout=10)
        message = str(caught.exception)
        self.assertIn('protocol version 2', message)
        self.assertIn('version 1', message)
        self.assertFalse(self.client.running)


class NoiseTest(FakeSidecarCase):
    mode = 'noise'

    def test_stray_output_does_not_wedge_the_reader(self):
        outputs = []
        self.client.on('milestones/runOutput', lambda params, method: outputs.append(params['text']))
        for index in range(5):
            result = self.client.request('milestones/progress', {'n': index}, timeout=10)
            self.assertEqual(result['params'], {'n': index})
        self.assertEqual(outputs, ['é 🎉\n'] * 5)

    def test_initialize_sends_python_and_progress_file(self):
        self.client.request('milestones/progress', {}, timeout=10)
        self.assertEqual(self.client.server_info, {'name': 'fake-sidecar', 'version': '0'})
        self.assertEqual(len(self.starts()), 1)


class EchoTest(FakeSidecarCase):
    def test_one_sidecar_serves_many_requests_and_threads(self):
        results = []
        threads = [threading.Thread(target=lambda n=n: results.append(self.client.request('x/echo', {'n': n}, timeout=10)['params']['n'])) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        self.assertEqual(sorted(results), list(range(20)))
        self.assertEqual(len(self.starts()), 1)

    def test_close_ends_the_sidecar(self):
        self.client.start()
        pid = self.client.pid
        self.client.close(timeout=5)
        self.assertFalse(self.client.running)
        with self.assertRaises(ProcessLookupError):
            deadline = time.time() + 5
            while time.time() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)

    def test_calling_from_a_notification_callback_is_refused(self):
        self.assertIsNone(self.client._session)
        errors = []
        reader_like = threading.Thread(target=lambda: errors.append(self._call_as_reader()), name='tinytorch-milestones-reader')
        reader_like.start()
        reader_like.join(5)
        self.assertIsInstance(errors[0], RuntimeError)

    def _call_as_reader(self):
        try:
            self.client.request('x/echo', {})
        except RuntimeError as error:
            return error


class StderrFloodTest(FakeSidecarCase):
    mode = 'stderr-flood'

    def test_a_chatty_stderr_never_blocks_the_sidecar(self):
        for _ in range(3):
            self.assertEqual(self.client.request('x/echo', {}, timeout=15)['method'], 'x/echo')


class TimeoutTest(FakeSidecarCase):
    mode = 'slow'

    def test_a_timeout_raises_and_cancels_the_request(self):
        started = time.time()
        with self.assertRaises(rpc.RequestTimeout):
            self.client.request('milestones/run', {'id': 'perceptron'}, timeout=0.3)
        self.assertLess(time.time() - started, 5)
        deadline = time.time() + 5
        while time.time() < deadline and 'cancel' not in self.read_log():
            time.sleep(0.02)
        self.assertIn('cancel', self.read_log())


class FindSidecarTest(unittest.TestCase):
    def setUp(self):
        self.saved = {key: os.environ.get(key) for key in ('TINYTORCH_MILESTONES_CMD', 'PATH')}
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        for key, value in self.saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self.tmp.cleanup()

    def test_the_environment_command_comes_first_split_as_a_shell_would(self):
        os.environ['TINYTORCH_MILESTONES_CMD'] = "node '/some dir/bin/x.js' --catalog seed"
        self.assertEqual(rpc.find_sidecar(), ['node', '/some dir/bin/x.js', '--catalog', 'seed'])

    def test_then_the_program_on_path(self):
        os.environ.pop('TINYTORCH_MILESTONES_CMD', None)
        program = os.path.join(self.tmp.name, 'tinytorch-milestones')
        with open(program, 'w') as handle:
            handle.write('#!/bin/sh\n')
        os.chmod(program, 0o755)
        os.environ['PATH'] = self.tmp.name + os.pathsep + self.saved['PATH']
        self.assertEqual(rpc.find_sidecar(), [program])

    def test_then_this_checkout_s_build(self):
        os.environ.pop('TINYTORCH_MILESTONES_CMD', None)
        node_dir = os.path.dirname(shutil_which('node') or '/usr/bin/node')
        os.environ['PATH'] = node_dir
        checkout_bin = os.path.normpath(os.path.join(HERE, '..', '..', 'bin', 'tinytorch-milestones.js'))
        if shutil_which('tinytorch-milestones'):
            self.skipTest('tinytorch-milestones is installed next to node (%s)' % node_dir)
        if not os.path.isfile(checkout_bin):
            with self.assertRaises(rpc.SidecarUnavailable):
                rpc.find_sidecar()
            return
        command = rpc.find_sidecar()
        self.assertEqual(command[1], checkout_bin)
        self.assertTrue(command[0].endswith('node'))

    def test_a_missing_program_is_unavailable_not_a_traceback(self):
        os.environ['TINYTORCH_MILESTONES_CMD'] = os.path.join(self.tmp.name, 'no-such-sidecar')
        client = rpc.Client(os.path.join(self.tmp.name, 'p.json'))
        with self.assertRaises(rpc.SidecarUnavailable) as caught:
            client.request('milestones/progress', {})
        self.assertIn('no-such-sidecar', str(caught.exception))
        self.assertIn(shlex.quote(os.environ['TINYTORCH_MILESTONES_CMD']), str(caught.exception))


def shutil_which(name):
    import shutil
    return shutil.which(name)


if __name__ == '__main__':
    unittest.main()
