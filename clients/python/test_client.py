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


class CommandLineTest(unittest.TestCase):
    def test_split_as_shlex_splits_with_or_without_quotes(self):
        for line in ('node /a/b.js', '  node\t/a/b.js \r\n --x ', "node '/some dir/x.js'", 'a\\ b "c d"', 'x#y z', 'é ü'):
            self.assertEqual(rpc._split_command(line), shlex.split(line), line)

    def test_which_finds_executables_only(self):
        import shutil
        with tempfile.TemporaryDirectory() as folder:
            for name, mode in (('runnable', 0o755), ('plain', 0o644)):
                with open(os.path.join(folder, name), 'w') as handle:
                    handle.write('#!/bin/sh\n')
                os.chmod(os.path.join(folder, name), mode)
            os.mkdir(os.path.join(folder, 'folder'))
            saved = os.environ['PATH']
            try:
                for path in (folder + os.pathsep + saved, ''):
                    os.environ['PATH'] = path
                    for name in ('runnable', 'plain', 'folder', 'absent'):
                        self.assertEqual(rpc._which(name), shutil.which(name), (name, path))
            finally:
                os.environ['PATH'] = saved


class JsonCodecTest(unittest.TestCase):
    VALUES = [
        {'jsonrpc': '2.0', 'id': 3, 'result': {'text': '🔓 é\n"\\\u2028\x01', 'n': [0, -1, 2.5, 1e300, 10 ** 30], 'ok': True, 'no': None}},
        [[], {}, '', False],
        {'float': float('inf')},
    ]

    def check(self, dumps, loads):
        for value in self.VALUES:
            self.assertEqual(dumps(value), json.dumps(value, ensure_ascii=False, separators=(',', ':')))
            self.assertEqual(loads(json.dumps(value)), json.loads(json.dumps(value)))
        self.assertEqual(loads(' {"a": NaN} ')['a'] != loads('{"a": NaN}')['a'], True)
        for bad in ('', '{"a":', '[1] 2', '"\x01"', 'nope', '{"a": 1,}'):
            with self.assertRaises(ValueError, msg=bad):
                loads(bad)
        with self.assertRaises(TypeError):
            dumps({'a': object()})

    def test_the_codec_in_use_answers_as_json(self):
        self.check(rpc._dumps, rpc._loads)

    def test_without_the_accelerator_json_itself_serves(self):
        saved = sys.modules.get('_json')
        sys.modules['_json'] = None  # import _json raises ImportError
        try:
            dumps, loads = rpc._json_codec()
        finally:
            if saved is None:
                del sys.modules['_json']
            else:
                sys.modules['_json'] = saved
        self.assertIn('lambda', dumps.__qualname__)
        self.check(dumps, loads)

    def test_a_fresh_daemon_client_imports_neither_json_nor_re(self):
        # Only what the client itself imports counts: some Pythons' site imports re or shutil at start.
        code = ('import sys; before = set(sys.modules); sys.path.insert(0, %r); '
                'import milestone_tracker, tinytorch_milestones_client as c; '
                'c._frame({"a": 1}); c.FrameReader().feed(c._frame({"id": 1, "result": [1]})); c._split_command("node x.js"); '
                'print(sorted(name for name in ("json", "re", "shlex", "shutil") if name in set(sys.modules) - before))' % HERE)
        import subprocess
        out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.stdout.strip(), '[]', out.stderr)


class FakeDaemon:
    """The other end of a socket pair, as the per-user daemon: records every write of the client, answers each
    request with its method and params (or not at all, for ``silent``), notifications first, in reverse order of
    arrival when two come in one read (``reverse``)."""

    def __init__(self, silent=(), reverse=False, notify=None):
        import socket
        self.client_end, self.end = socket.socketpair()
        self.writes = []
        self.received = []
        self.silent, self.reverse, self.notify = set(silent), reverse, notify
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        reader = rpc.FrameReader()
        while True:
            try:
                chunk = self.end.recv(65536)
            except OSError:
                return
            if not chunk:
                self.end.close()
                return
            messages = reader.feed(chunk)
            self.received += messages
            answers = []
            for message in messages:
                if 'id' not in message or message['method'] in self.silent:
                    continue
                if message['method'] == 'initialize':
                    result = {'capabilities': {'experimental': {'milestones': {'protocolVersion': rpc.PROTOCOL_VERSION}}}}
                else:
                    result = {'method': message['method'], 'params': message['params']}
                answers.append({'jsonrpc': '2.0', 'id': message['id'], 'result': result})
            if self.reverse:
                answers.reverse()
            if self.notify and answers:
                self.end.sendall(frame({'jsonrpc': '2.0', 'method': self.notify, 'params': {'n': len(self.received)}}))
            for answer in answers:
                self.end.sendall(frame(answer))

    def client(self):
        """A Client whose connection is this daemon's socket, as if found on the per-user socket."""
        daemon, writes = self, self.writes

        class Recording:
            def __init__(self, connection):
                self.connection = connection

            def sendall(self, data):
                writes.append(data)
                return self.connection.sendall(data)

            def __getattr__(self, name):
                return getattr(self.connection, name)

        client = rpc.Client(os.path.join(tempfile.gettempdir(), 'fake-daemon-progress.json'), command=['fake'])
        client._open_session = lambda command: rpc._DaemonSession(Recording(daemon.client_end), 'fake.sock', client._dispatch)
        return client

    def close(self):
        self.end.close()
        self.client_end.close()


class DaemonSessionTest(unittest.TestCase):
    def daemon(self, **options):
        daemon = FakeDaemon(**options)
        self.addCleanup(daemon.close)
        return daemon

    def test_the_first_request_goes_in_one_write_with_initialize_and_no_thread_starts(self):
        daemon = self.daemon()
        client = daemon.client()
        threads = threading.active_count()
        self.assertEqual(client.request('milestones/checkExport', {'module': '02_autograd'}),
                         {'method': 'milestones/checkExport', 'params': {'module': '02_autograd'}})
        self.assertEqual(threading.active_count(), threads)
        self.assertEqual(len(daemon.writes), 1)
        self.assertEqual([message['method'] for message in rpc.FrameReader().feed(daemon.writes[0])], ['initialize', 'milestones/checkExport'])
        self.assertTrue(client.via_daemon)
        self.assertEqual(client.request('milestones/progress', {})['method'], 'milestones/progress')
        self.assertEqual(len(daemon.writes), 2)

    def test_listening_starts_the_reader_and_notifications_arrive_between_calls(self):
        daemon = self.daemon(notify='milestones/unlocked')
        client = daemon.client()
        client.request('milestones/progress', {})
        seen = threading.Event()
        client.on('milestones/unlocked', lambda params, method: seen.set())
        client.request('milestones/progress', {})
        self.assertTrue(seen.wait(10))
        self.assertTrue(client._session.reader.is_alive())
        self.assertIn('initialized', [message.get('method') for message in daemon.received])

    def test_threads_calling_at_once_each_get_their_own_answer(self):
        daemon = self.daemon(reverse=True)
        client = daemon.client()
        client.request('milestones/progress', {})
        answers = {}

        def call(index):
            answers[index] = client.request('milestones/list', {'index': index})['params']['index']

        threads = [threading.Thread(target=call, args=(index,)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(answers, {index: index for index in range(8)})

    def test_a_timeout_raises_and_cancels_without_a_reader_thread(self):
        daemon = self.daemon(silent={'milestones/run'})
        client = daemon.client()
        client.request('milestones/progress', {})
        started = time.monotonic()
        with self.assertRaises(rpc.RequestTimeout):
            client.request('milestones/run', {'id': 'perceptron'}, timeout=0.3)
        self.assertLess(time.monotonic() - started, 10)
        deadline = time.monotonic() + 10
        while '$/cancelRequest' not in [message.get('method') for message in daemon.received] and time.monotonic() < deadline:
            client.request('milestones/progress', {})
        self.assertIn('$/cancelRequest', [message.get('method') for message in daemon.received])

    def test_a_daemon_that_hangs_up_fails_the_pending_call(self):
        daemon = self.daemon(silent={'milestones/run'})
        client = daemon.client()
        client.request('milestones/progress', {})
        threading.Timer(0.2, lambda: daemon.end.shutdown(2)).start()
        with self.assertRaises(rpc.SidecarCrashed):
            client.request('milestones/run', {'id': 'perceptron'}, timeout=30)
        self.assertFalse(client.running)


def shutil_which(name):
    import shutil
    return shutil.which(name)


if __name__ == '__main__':
    unittest.main()
