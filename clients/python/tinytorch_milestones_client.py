"""A small JSON-RPC client for the tinytorch-milestones sidecar (standard library only, Python 3.9+).

One connection per process and progress file, started on first use and reused. It is the per-user daemon
(docs/protocol.md section 12) when one can be used: found on its Unix socket, or started detached when missing; else a
spawned ``--stdio`` sidecar (always with ``TINYTORCH_MILESTONES_DAEMON=0``):

    from tinytorch_milestones_client import get_client
    client = get_client()                       # the default progress file
    client.on('milestones/unlocked', print)     # notifications, delivered on the reader thread
    client.request('milestones/checkExport', {'module': '01_tensor'})

The sidecar is found as clients/README.md says: ``TINYTORCH_MILESTONES_CMD`` (split as a shell would),
then ``tinytorch-milestones`` on ``PATH``, then ``node <this checkout>/bin/tinytorch-milestones.js``.
``--stdio`` is appended to the command; ``daemon`` starts the daemon with the same command. A command that
is not a tinytorch-milestones build (no ``dist/build-id`` beside its bin) is always spawned.

Short-lived callers pay for nothing they do not use: modules are imported on first use, ``initialized`` (which
starts the sidecar's watchers) is sent only once someone listens for ``milestones/unlocked`` or
``milestones/completed``, a daemon connection has no reader thread until someone listens for a notification,
and at exit a spawned sidecar is left to finish on its own, not waited for.

Errors are ``SidecarError`` subclasses: ``SidecarUnavailable`` (it cannot be started or speaks another
protocol version), ``SidecarCrashed`` (it exited: carries its exit code and the tail of its stderr; the
next call starts a new one), ``RequestTimeout`` and ``RpcError`` (an error answer: ``code``, ``kind``,
``data``).
"""

import atexit
import itertools
import os
import sys
import threading

# subprocess, shlex, shutil, signal, socket, select and collections are imported where they are used, and json is
# not imported at all where the C accelerator it uses can serve (json imports re, about 15 ms of a fresh process):
# a fresh Python process that only talks to the daemon never pays for them.

__all__ = [
    'PROTOCOL_VERSION',
    'SidecarError',
    'SidecarUnavailable',
    'SidecarCrashed',
    'RequestTimeout',
    'RpcError',
    'Client',
    'get_client',
    'close_all',
    'find_sidecar',
    'default_progress_file',
    'daemon_wanted',
    'daemon_socket',
]

PROTOCOL_VERSION = 1
DEFAULT_TIMEOUT = 30.0
START_TIMEOUT = 20.0
STDERR_TAIL_CHARS = 2000
DAEMON_START_TIMEOUT = 5.0
#: Notifications that need the sidecar's watchers: listening for one sends ``initialized``.
WATCHED_NOTIFICATIONS = ('milestones/unlocked', 'milestones/completed', '*')
#: What a daemon session gets of this process's environment (docs/protocol.md section 12).
CLIENT_VARIABLES = ('HOME', 'PATH', 'VIRTUAL_ENV')

_HEADER = b'Content-Length:'
_MAX_HEADER_BYTES = 1024
_MAX_BODY_BYTES = 64 * 1024 * 1024

CHECKOUT_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bin', 'tinytorch-milestones.js')


def current_directory():
    """The working directory, or None when it has been deleted (os.getcwd raises FileNotFoundError)."""
    try:
        return os.getcwd()
    except OSError:
        return None


class SidecarError(Exception):
    """Anything that went wrong talking to the sidecar."""


class SidecarUnavailable(SidecarError):
    """The sidecar could not be started, or it speaks another protocol version."""


class SidecarCrashed(SidecarError):
    """The sidecar exited while calls were pending (or before answering)."""

    def __init__(self, message, exit_code=None, stderr_tail=''):
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.summary = message.split('\n', 1)[0]  # one line, for a short note


class RequestTimeout(SidecarError, TimeoutError):
    """No answer within the timeout; the request was cancelled with $/cancelRequest."""


class RpcError(SidecarError):
    """An error answer. Match on ``kind`` (docs/protocol.md section 7, ``data.kind``), never on the message."""

    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.kind = data.get('kind') if isinstance(data, dict) else None


def default_progress_file():
    """The progress file the sidecar would use: ``TINYTORCH_PROGRESS_FILE``, else ``~/.tinytorch/progress.json``."""
    configured = os.environ.get('TINYTORCH_PROGRESS_FILE')
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    return os.path.join(os.path.expanduser('~'), '.tinytorch', 'progress.json')


def _shlex():
    import shlex
    return shlex


def _split_command(text):
    """``shlex.split(text)``; a command line without quotes or backslashes is split without importing shlex."""
    if any(character in text for character in '\'"\\'):
        return _shlex().split(text)
    for blank in '\t\r\n':  # shlex's whitespace, and no other
        text = text.replace(blank, ' ')
    return [word for word in text.split(' ') if word]


def _which(name):
    """``shutil.which(name)`` for a bare name, without importing shutil (and, through it, re)."""
    path = os.environ.get('PATH', os.defpath)
    if not path:
        return None
    for folder in path.split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_sidecar():
    """The command that starts the sidecar, without ``--stdio``; raises SidecarUnavailable when there is none."""
    configured = os.environ.get('TINYTORCH_MILESTONES_CMD', '').strip()
    if configured:
        try:
            command = _split_command(configured)
        except ValueError as error:
            raise SidecarUnavailable('TINYTORCH_MILESTONES_CMD is not a valid command line (%s): %r' % (error, configured))
        if command:
            return command
    on_path = _which('tinytorch-milestones')
    if on_path:
        return [on_path]
    checkout_bin = os.path.normpath(CHECKOUT_BIN)
    if os.path.isfile(checkout_bin):
        node = _which('node')
        if node:
            return [node, checkout_bin]
        raise SidecarUnavailable('the milestone sidecar needs Node.js, and `node` is not on PATH')
    raise SidecarUnavailable(
        'the milestone sidecar is not installed: install it with npm install -g tinytorch-milestones '
        '(or set TINYTORCH_MILESTONES_CMD to a command that starts it)'
    )


def daemon_wanted(env=None):
    """Reuse of the per-user daemon is on unless ``TINYTORCH_MILESTONES_DAEMON`` is 0 (or false, no, off)."""
    value = (os.environ if env is None else env).get('TINYTORCH_MILESTONES_DAEMON', '')
    return value.strip().lower() not in ('0', 'false', 'no', 'off')


def daemon_folder(env=None):
    """``$XDG_RUNTIME_DIR/tinytorch-milestones``, else ``<temp dir>/tinytorch-milestones-<uid>`` (as Node's tmpdir)."""
    env = os.environ if env is None else env
    runtime = env.get('XDG_RUNTIME_DIR')
    if runtime:
        return os.path.join(runtime, 'tinytorch-milestones')
    temporary = env.get('TMPDIR') or env.get('TMP') or env.get('TEMP') or '/tmp'
    if len(temporary) > 1:
        temporary = temporary.rstrip('/')
    return os.path.join(temporary, 'tinytorch-milestones-%d' % os.getuid())


def daemon_socket(command, env=None):
    """The daemon socket of the build that ``command`` runs (its ``dist/build-id`` names version and build),
    or None when the command is not a tinytorch-milestones build, or passes it flags (which a daemon session,
    configured by its client's environment alone, would not see)."""
    if not hasattr(os, 'getuid') or not command or os.sep not in command[-1]:
        return None
    real = os.path.realpath(command[-1])
    try:
        with open(os.path.join(os.path.dirname(os.path.dirname(real)), 'dist', 'build-id'), encoding='utf-8') as handle:
            name = handle.read().strip()
    except OSError:
        return None
    if name and os.sep not in name:
        return os.path.join(daemon_folder(env), name + '.sock')
    return None


def _private_folder(folder):
    """Creates the daemon's folder 0700, or checks that it is ours and closed to others; False when unsafe."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return False
    try:
        stat = os.lstat(folder)
    except OSError:
        return False
    import stat as stat_module
    return stat_module.S_ISDIR(stat.st_mode) and stat.st_uid == os.getuid() and stat.st_mode & 0o077 == 0


def _connect_unix(path):
    import _socket  # the C module: the socket package would import selectors and more for nothing here
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        return None
    return connection


_daemon_starters = []  # kept, so that their Popen objects are not collected while the daemon starts


def connect_daemon(command, env=None):
    """A socket connected to the per-user daemon of ``command``'s build, starting it (detached) when none
    answers; None when the daemon cannot be used (turned off, not our build, unsafe folder, failed to start)."""
    env = os.environ if env is None else env
    if not daemon_wanted(env):
        return None
    path = daemon_socket(command, env)
    if path is None:
        return None
    folder = os.path.dirname(path)
    if not _private_folder(folder):
        return None
    connection = _connect_unix(path)
    if connection is not None:
        return connection
    import subprocess
    daemon_env = {name: value for name, value in env.items()
                  if not name.startswith('TINYTORCH_') or name.startswith('TINYTORCH_MILESTONES_DAEMON') or name == 'TINYTORCH_MILESTONES_DEBUG'}
    try:
        with open(path[:-len('.sock')] + '.log', 'ab') as log:
            # In / like any daemon (the folder it was started from may be deleted while it runs), so the bin's path is absolute.
            starter = subprocess.Popen(command[:-1] + [os.path.realpath(command[-1]), 'daemon'], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=log, env=daemon_env, close_fds=True,
                                       start_new_session=True, cwd='/')
    except OSError:
        return None
    _daemon_starters.append(starter)
    import time
    deadline = time.monotonic() + DAEMON_START_TIMEOUT
    delay = 0.002
    while time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 2, 0.025)
        connection = _connect_unix(path)
        if connection is not None:
            return connection
        code = starter.poll()
        if code is not None and code != 0:
            return None  # it could not start; another starter's daemon exits 0 and is waited for
    return None


class _ScanContext:
    """What the C scanner reads from json's decoder: json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {'-Infinity': float('-inf'), 'Infinity': float('inf'), 'NaN': float('nan')}.__getitem__


def _unencodable(value):
    raise TypeError('Object of type %s is not JSON serializable' % type(value).__name__)


def _json_codec():
    """``(dumps, loads)``, compact and without ASCII escapes, as json's: built on the C accelerator ``_json`` that
    json itself uses, when it is there and answers as json would; else json's own."""
    try:
        import _json
        encoder = _json.make_encoder(None, _unencodable, _json.encode_basestring, None, ':', ',', False, False, True)
        scanner = _json.make_scanner(_ScanContext())

        def dumps(value):
            return ''.join(encoder(value, 0))

        def loads(text):
            text = text.strip(' \t\n\r')
            try:
                value, end = scanner(text, 0)
            except StopIteration:
                raise ValueError('no JSON value') from None
            if end != len(text):
                raise ValueError('extra data after a JSON value')
            return value

        probe = {'a': [1, 2.5, 'é\n"', None, True], 'b': {}}
        if dumps(probe) != '{"a":[1,2.5,"é\\n\\"",null,true],"b":{}}' or loads(dumps(probe)) != probe:
            raise ValueError('_json does not answer as json')
        return dumps, loads
    except Exception:  # another Python (no _json, another signature): json itself
        import json
        return (lambda value: json.dumps(value, ensure_ascii=False, separators=(',', ':'))), json.loads


_dumps, _loads = _json_codec()


def _frame(message):
    body = _dumps(message).encode('utf-8')
    return b'Content-Length: %d\r\n\r\n%s' % (len(body), body)


class FrameReader:
    """Splits a byte stream into JSON-RPC messages; skips bytes that are not protocol and resynchronizes
    at the next ``Content-Length:`` header (a stray line, a bad length, a body that is not JSON)."""

    def __init__(self):
        self._buffer = bytearray()
        self.skipped = 0

    def feed(self, data):
        """Adds bytes; returns the complete messages (dicts) found so far, in order."""
        self._buffer += data
        messages = []
        while True:
            outcome = self._next()
            if outcome is None:
                return messages
            if outcome is not _SKIP:
                messages.append(outcome)

    def _skip(self, count):
        del self._buffer[:count]
        self.skipped += count

    def _next(self):
        buffer = self._buffer
        start = buffer.find(_HEADER)
        if start < 0:
            # Keep a possible partial header at the end; drop everything else.
            keep = len(_HEADER) - 1
            if len(buffer) > keep:
                self._skip(len(buffer) - keep)
            return None
        if start > 0:
            self._skip(start)
        header_end = buffer.find(b'\r\n\r\n')
        if header_end < 0:
            if len(buffer) > _MAX_HEADER_BYTES:
                self._skip(1)
                return _SKIP
            return None
        header = bytes(buffer[:header_end])
        later = header.rfind(_HEADER)
        if later > 0:  # a stray header line before the real one
            self._skip(later)
            return _SKIP
        length = None
        for line in header.split(b'\r\n'):
            name, _, value = line.partition(b':')
            if name.strip().lower() == b'content-length':
                value = value.strip()
                if value.isdigit():
                    length = int(value)
        if length is None or length > _MAX_BODY_BYTES or header_end > _MAX_HEADER_BYTES:
            self._skip(1)
            return _SKIP
        body_start = header_end + 4
        available = bytes(buffer[body_start:body_start + length])
        # A JSON body as the sidecar writes it holds no raw line break: one means the length was wrong.
        if b'\r\n' in available:
            self._skip(1)
            return _SKIP
        if len(available) < length:
            return None
        try:
            message = _loads(available.decode('utf-8'))
        except ValueError:
            self._skip(1)
            return _SKIP
        del buffer[:body_start + length]
        return message if isinstance(message, dict) else _SKIP


_SKIP = object()


class _Pending:
    __slots__ = ('event', 'result', 'error', 'method')

    def __init__(self, method):
        self.event = threading.Event()
        self.result = None
        self.error = None
        self.method = method


class _BaseSession:
    """What every connection has: pending requests, the dispatcher, and whether it is gone."""

    via_daemon = False
    pid = None

    def __init__(self, on_message):
        self._on_message = on_message
        self._write_lock = threading.Lock()
        self.pending = {}
        self.pending_lock = threading.Lock()
        self.dead = False
        self.exit_error = None
        self.closing = False
        self.initialized_sent = False
        #: initialize's answer, while it is awaited (the daemon path sends its first request without waiting).
        self.initializing = None
        self.owner_pid = os.getpid()

    def _fail_pending(self, error):
        self.exit_error = error
        self.dead = True
        with self.pending_lock:
            pending, self.pending = self.pending, {}
        for waiter in pending.values():
            waiter.error = error
            waiter.event.set()

    def flush(self):
        """Writes what is held back to go out with the next request (nothing here)."""

    def listen(self):
        """Makes sure notifications are read as they come, not only while a caller waits (here: always)."""

    def await_answer(self, waiter, timeout):
        """Waits for ``waiter``'s answer, ``timeout`` seconds at most (None: as long as it takes); True once answered."""
        return waiter.event.wait(timeout)


class _DaemonSession(_BaseSession):
    """One connection to the per-user daemon: a full session of its own; closing it never stops the daemon.

    Until someone listens for notifications, there is no reader thread: a caller reads the socket itself while it
    waits for its answer (one thread at a time; the others are answered by it or read in turn). A fresh process
    pays neither for starting a thread nor for handing each answer from one thread to another. Its first request
    goes out in one write with ``initialize``."""

    via_daemon = True

    def __init__(self, connection, path, on_message):
        super().__init__(on_message)
        self.connection = connection
        self.path = path
        self.command = ['daemon', path]
        self.reader = None
        self._frames = FrameReader()
        #: Held by the one thread that reads the socket: a caller waiting for its answer, or the reader thread.
        self._read_lock = threading.Lock()
        #: Frames written together with the next request's, in one write (initialize and the first request).
        self._held = []

    def describe(self):
        return 'the milestone daemon (%s)' % self.path

    def listen(self):
        if self.reader is not None or self.dead:
            return
        with self._read_lock:  # a caller reading for its answer finishes first
            if self.reader is None and not self.dead:
                self.reader = threading.Thread(target=self._read, name='tinytorch-milestones-reader', daemon=True)
                self.reader.start()

    def _receive(self):
        """Reads what has come and dispatches it; False once the daemon closed the connection."""
        try:
            chunk = self.connection.recv(65536)
        except (OSError, ValueError):
            chunk = b''
        if not chunk:
            self._fail_pending(SidecarCrashed('%s closed the connection' % self.describe()))
            return False
        for message in self._frames.feed(chunk):
            self._on_message(self, message)
        return True

    def _read(self):
        # Started with the read lock held by listen(): from then on only this thread reads.
        while self._receive():
            pass

    def await_answer(self, waiter, timeout):
        import time
        deadline = None if timeout is None else time.monotonic() + timeout
        while not waiter.event.is_set():
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if self.dead:  # no answer comes any more; a pending one was failed with the reason
                return waiter.event.is_set()
            if self.reader is not None:
                return waiter.event.wait(left)
            # Another caller may be reading: it answers this waiter too, or lets go of the socket soon.
            if not self._read_lock.acquire(timeout=0.01 if left is None else min(left, 0.01)):
                continue
            try:
                if self.reader is not None:
                    continue
                import select
                while not waiter.event.is_set() and not self.dead:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return False
                    try:
                        ready = select.select([self.connection], [], [], left)[0]
                    except (OSError, ValueError):  # closed under us: _receive says so
                        ready = True
                    if ready:
                        self._receive()
            finally:
                self._read_lock.release()
        return True

    def send(self, message):
        data = _frame(message)
        if self._held is not None:
            self._held.append(data)
            return
        self._write(data)

    def flush(self):
        held, self._held = self._held, None
        if held:
            self._write(b''.join(held))

    def _write(self, data):
        try:
            with self._write_lock:
                self.connection.sendall(data)
        except (OSError, ValueError):
            if self.reader is not None:
                self.reader.join(timeout=2)
            if not self.dead:
                self._fail_pending(SidecarCrashed('%s closed the connection' % self.describe()))
            raise self.exit_error

    def close_input(self):
        import _socket
        try:
            self.connection.shutdown(_socket.SHUT_WR)
        except OSError:
            pass

    def kill(self):
        try:
            self.connection.close()
        except OSError:
            pass

    def wait(self, timeout):
        """Waits for the daemon to end this session (it closes the connection), then closes our end."""
        if self.reader is not None:
            self.reader.join(timeout=timeout)
        else:
            ended = _Pending('end')  # never answered: reads until the connection closes or the time is up
            self.await_answer(ended, timeout)
        self.kill()


class _Session(_BaseSession):
    """One running sidecar process: its pipes, reader and stderr threads, and pending requests."""

    def __init__(self, command, env, on_message):
        super().__init__(on_message)
        import collections
        import subprocess
        self.command = command
        self._stderr_tail = collections.deque(maxlen=200)
        self._stderr_lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                command + ['--stdio'],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                bufsize=0,
                close_fds=True,
                # A deleted working directory would be the sidecar's too: start it somewhere that exists.
                cwd=None if current_directory() is not None else os.path.expanduser('~'),
            )
        except OSError as error:
            reason = error.strerror or str(error)
            raise SidecarUnavailable('cannot start the milestone sidecar (%s): %s' % (_shlex().join(command), reason))
        self._stderr_thread = threading.Thread(target=self._drain_stderr, name='tinytorch-milestones-stderr', daemon=True)
        self._stderr_thread.start()
        self.reader = threading.Thread(target=self._read, name='tinytorch-milestones-reader', daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.process.pid

    def describe(self):
        return 'the milestone sidecar (%s)' % _shlex().join(self.command)

    # ---- threads ----

    def _drain_stderr(self):
        stream = self.process.stderr
        try:
            while True:
                chunk = stream.read1(65536) if hasattr(stream, 'read1') else os.read(stream.fileno(), 65536)
                if not chunk:
                    break
                with self._stderr_lock:
                    self._stderr_tail.append(chunk)
        except (OSError, ValueError):
            pass

    def stderr_tail(self):
        with self._stderr_lock:
            text = b''.join(self._stderr_tail).decode('utf-8', 'replace')
        return text[-STDERR_TAIL_CHARS:].strip()

    def _read(self):
        reader = FrameReader()
        fd = self.process.stdout.fileno()
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                for message in reader.feed(chunk):
                    self._on_message(self, message)
        except (OSError, ValueError):
            pass
        self._finish()

    def _finish(self):
        import subprocess
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._stderr_thread.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr if not self._stderr_thread.is_alive() else None):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        tail = self.stderr_tail()
        if code is not None and code < 0:
            import signal
            try:
                how = 'was killed by %s' % signal.Signals(-code).name
            except ValueError:
                how = 'was killed by signal %d' % -code
        else:
            how = 'exited with code %s' % code
        message = '%s %s' % (self.describe(), how)
        if tail:
            message += '; the end of its stderr:\n' + tail
        error = SidecarCrashed(message, exit_code=code, stderr_tail=tail)
        error.summary = 'the milestone sidecar %s%s' % (how, ': ' + _telling_line(tail) if tail else '')
        self.close_input()
        self._fail_pending(error)

    # ---- writing ----

    def send(self, message):
        data = _frame(message)
        try:
            with self._write_lock:
                self.process.stdin.write(data)
                self.process.stdin.flush()
        except (OSError, ValueError):
            # It is gone: let the reader collect its exit code and stderr first.
            self.reader.join(timeout=6)
            raise self.exit_error or SidecarCrashed('%s stopped reading its input' % self.describe())

    def close_input(self):
        try:
            self.process.stdin.close()
        except (OSError, ValueError):
            pass

    def kill(self):
        if self.process.poll() is None:
            try:
                self.process.kill()
            except OSError:
                pass

    def wait(self, timeout):
        """Waits for the sidecar to exit, killing it after ``timeout``; then for its reader."""
        import subprocess
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.process.wait()
        self.reader.join(timeout=timeout)


def _telling_line(stderr_tail):
    """The one stderr line that says most: the last one naming an error, else the last one."""
    lines = [line.strip() for line in stderr_tail.splitlines() if line.strip()]
    errors = [line for line in lines if 'Error' in line and not line.startswith('at ')]
    return (errors or lines or [''])[-1]


class Client:
    """A JSON-RPC connection to the sidecar for one progress file; restarts the sidecar after a crash."""

    def __init__(self, progress_file=None, workspace=None, command=None, env=None, python=None):
        self.progress_file = os.path.abspath(os.path.expanduser(progress_file)) if progress_file else default_progress_file()
        self.workspace = workspace
        self._command = command
        self._env = env
        self.python = python or sys.executable
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._session = None
        self._handlers = {}
        self.server_info = None
        self.capabilities = None

    # ---- notifications ----

    def on(self, method, callback):
        """Calls ``callback(params, method)`` for each notification ``method`` (``'*'``: every one).
        Callbacks run on the reader thread, in order: keep them short and never call the client from one.
        Listening for ``milestones/unlocked``, ``milestones/completed`` or ``'*'`` starts the sidecar's watchers
        (``initialized``); a caller that never listens does not pay for them.
        Returns a function that unsubscribes."""
        self._handlers.setdefault(method, []).append(callback)
        with self._lock:
            session = self._session
            if session is not None and not session.dead:
                session.listen()
                if method in WATCHED_NOTIFICATIONS and session.initializing is None:
                    self._send_initialized(session)

        def unsubscribe():
            try:
                self._handlers.get(method, []).remove(callback)
            except ValueError:
                pass

        return unsubscribe

    def _dispatch(self, session, message):
        method = message.get('method')
        if method is None:
            waiter = None
            if 'id' in message:
                with session.pending_lock:
                    waiter = session.pending.pop(message.get('id'), None)
            if waiter is None:
                return
            if 'error' in message and message['error'] is not None:
                error = message['error'] if isinstance(message['error'], dict) else {}
                waiter.error = RpcError(error.get('code'), error.get('message') or 'error', error.get('data'))
            else:
                waiter.result = message.get('result')
            waiter.event.set()
            return
        if 'id' in message:
            self._answer_server_request(session, message)
            return
        params = message.get('params')
        for callback in list(self._handlers.get(method, ())) + list(self._handlers.get('*', ())):
            try:
                callback(params, method)
            except Exception:  # a callback's bug must not stop the reader
                pass

    def _answer_server_request(self, session, message):
        method = message['method']
        if method == 'workspace/configuration':
            items = (message.get('params') or {}).get('items') or []
            reply = {'jsonrpc': '2.0', 'id': message['id'], 'result': [None] * len(items)}
        elif method in ('window/workDoneProgress/create', 'client/registerCapability', 'client/unregisterCapability', 'window/showMessageRequest'):
            reply = {'jsonrpc': '2.0', 'id': message['id'], 'result': None}
        else:
            reply = {'jsonrpc': '2.0', 'id': message['id'], 'error': {'code': -32601, 'message': 'method not supported by this client: %s' % method}}
        try:
            session.send(reply)
        except SidecarError:
            pass

    # ---- lifecycle ----

    @property
    def running(self):
        session = self._session
        return session is not None and not session.dead

    @property
    def pid(self):
        """The spawned sidecar's pid; None through the daemon or when not running."""
        session = self._session
        return session.pid if session is not None and not session.dead else None

    @property
    def via_daemon(self):
        session = self._session
        return session is not None and not session.dead and session.via_daemon

    def _watching(self):
        return any(self._handlers.get(method) for method in WATCHED_NOTIFICATIONS)

    def _send_initialized(self, session):
        if not session.initialized_sent:
            session.initialized_sent = True
            session.send({'jsonrpc': '2.0', 'method': 'initialized', 'params': {}})

    def _open_session(self, command):
        """The daemon when it can be used, else a spawned sidecar."""
        connection = connect_daemon(command, self._env)
        if connection is not None:
            return _DaemonSession(connection, connection.getpeername(), self._dispatch)
        return _Session(command, self._env, self._dispatch)

    def _ensure_session(self):
        with self._lock:
            session = self._session
            if session is not None and session.owner_pid != os.getpid():
                session = self._session = None  # inherited through fork: not ours to use
            if session is not None and not session.dead:
                return session
            command = self._command or find_sidecar()
            session = self._open_session(command)
            try:
                if any(self._handlers.values()):
                    session.listen()
                session.initializing = self._post(session, 'initialize', self._initialize_params(session))
                # The daemon's socket name pins its version and build, so the first request goes out at once, in
                # one write with initialize, whose answer is checked when it comes back (one round trip less); a spawned sidecar is
                # waited for, so that one that cannot start is reported as such.
                if not session.via_daemon:
                    self._settle_initialize(session)
            except BaseException:
                self._stop(session)
                raise
            self._session = session
            return session

    def _settle_initialize(self, session):
        """Waits for initialize's answer and checks the protocol version; sends ``initialized`` if someone listens."""
        request_id, waiter = session.initializing
        result = self._wait(session, 'initialize', request_id, waiter, START_TIMEOUT)
        session.initializing = None
        milestones = ((result or {}).get('capabilities') or {}).get('experimental', {}).get('milestones') or {}
        version = milestones.get('protocolVersion')
        if version != PROTOCOL_VERSION:
            raise SidecarUnavailable(
                '%s speaks milestones protocol version %s, and this client speaks version %d: '
                'install matching versions of tinytorch-milestones and its Python client' % (session.describe(), version, PROTOCOL_VERSION)
            )
        self.server_info = result.get('serverInfo')
        self.capabilities = result.get('capabilities')
        if self._watching():
            self._send_initialized(session)

    def _settled(self, session):
        """On the daemon path: initialize's answer, which came before the first request's, is checked now."""
        if session.initializing is None:
            return
        with self._lock:
            if session.initializing is None:
                return
            try:
                self._settle_initialize(session)
            except BaseException:
                if self._session is session:
                    self._session = None
                self._stop(session)
                raise

    def _initialize_params(self, session):
        options = {'python': self.python, 'progressFile': self.progress_file}
        if session.via_daemon:
            env = os.environ if self._env is None else self._env
            options['client'] = {
                'env': {name: value for name, value in env.items() if name in CLIENT_VARIABLES or name.startswith('TINYTORCH_')},
            }
            if current_directory() is not None:  # a deleted one is no directory to run in
                options['client']['cwd'] = current_directory()
        params = {
            'processId': os.getpid(),
            'rootPath': current_directory(),
            'clientInfo': {'name': 'tinytorch-milestones-python'},
            # It handles milestones/unlocked itself: no window/showMessage duplicates (docs/protocol.md §10).
            'capabilities': {'experimental': {'milestones': {'notifications': True}}},
            'initializationOptions': options,
        }
        if self.workspace:
            options['workspace'] = os.path.abspath(self.workspace)
        return params

    def start(self):
        """Starts the sidecar now (it otherwise starts on the first request)."""
        self._settled(self._ensure_session())
        return self

    # ---- requests ----

    def request(self, method, params=None, timeout=DEFAULT_TIMEOUT):
        """Sends a request and waits for its answer (``timeout`` seconds; None waits as long as it takes)."""
        if threading.current_thread().name == 'tinytorch-milestones-reader':
            raise RuntimeError('do not call the milestone client from a notification callback; hand the work to another thread')
        session = self._ensure_session()
        try:
            result = self._call(session, method, {} if params is None else params, timeout)
        except RpcError:
            self._settled(session)  # a session that speaks another version says so, not a confusing error answer
            raise
        self._settled(session)
        return result

    def notify(self, method, params=None):
        session = self._ensure_session()
        session.send({'jsonrpc': '2.0', 'method': method, 'params': {} if params is None else params})
        session.flush()

    def _call(self, session, method, params, timeout):
        request_id, waiter = self._post(session, method, params)
        return self._wait(session, method, request_id, waiter, timeout)

    def _post(self, session, method, params):
        """Sends a request; returns its id and the waiter its answer will fill."""
        request_id = next(self._ids)
        waiter = _Pending(method)
        with session.pending_lock:
            if session.dead:
                raise session.exit_error
            session.pending[request_id] = waiter
        try:
            session.send({'jsonrpc': '2.0', 'id': request_id, 'method': method, 'params': params})
        except BaseException:
            with session.pending_lock:
                session.pending.pop(request_id, None)
            raise
        return request_id, waiter

    def _wait(self, session, method, request_id, waiter, timeout):
        try:
            session.flush()
            if not session.await_answer(waiter, timeout):
                if session.dead and waiter.error is None:
                    raise session.exit_error
                raise RequestTimeout('%s got no answer within %.0f s' % (method, timeout))
        except BaseException:
            # Timed out or interrupted (Ctrl-C): cancel it, so that a run's process group is killed.
            with session.pending_lock:
                still_pending = session.pending.pop(request_id, None) is not None
            if still_pending and not session.dead:
                try:
                    session.send({'jsonrpc': '2.0', 'method': '$/cancelRequest', 'params': {'id': request_id}})
                except SidecarError:
                    pass
            raise
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    # ---- closing ----

    def close(self, timeout=5.0):
        """``shutdown`` then ``exit``, and waits for the sidecar to end (killing it after ``timeout``)."""
        with self._lock:
            session, self._session = self._session, None
        if session is None or session.owner_pid != os.getpid():
            return
        self._stop(session, timeout)

    def detach(self):
        """At exit: ends the input and goes, without waiting. The daemon ends the session; a spawned sidecar
        answers what it was asked, then exits on its own."""
        with self._lock:
            session, self._session = self._session, None
        if session is None or session.owner_pid != os.getpid():
            return
        session.closing = True
        if session.via_daemon:
            session.kill()
        else:
            session.close_input()

    def _stop(self, session, timeout=5.0):
        session.closing = True
        if not session.dead:
            try:
                self._call(session, 'shutdown', {}, timeout)
                session.send({'jsonrpc': '2.0', 'method': 'exit', 'params': {}})
            except (SidecarError, RuntimeError):
                pass
        session.close_input()
        session.wait(timeout)


_clients = {}
_clients_lock = threading.Lock()


def get_client(progress_file=None, **options):
    """The process's connection for ``progress_file`` (default: the sidecar's default), created on first use.
    The sidecar itself starts on the first request."""
    key = os.path.abspath(os.path.expanduser(progress_file)) if progress_file else default_progress_file()
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = Client(key, **options)
        return client


def close_all():
    """Closes every connection of this process: ``shutdown``, ``exit``, and waits for spawned sidecars."""
    for client in _take_clients():
        try:
            client.close()
        except Exception:
            pass


def _take_clients():
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    return clients


def _detach_all():
    """At exit: every connection ends its input and the process goes, waiting for nothing."""
    for client in _take_clients():
        try:
            client.detach()
        except Exception:
            pass


atexit.register(_detach_all)
