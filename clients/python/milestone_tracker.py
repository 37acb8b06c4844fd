"""TinyTorch milestone tracker: a drop-in for tests/milestones/milestone_tracker.py, with every rule in the
tinytorch-milestones sidecar (standard library only; ``rich`` is used for drawing when it can be imported).

    from milestone_tracker import check_module_export
    check_module_export("01_tensor", console=console)   # never raises; prints the unlock panels on console

CLI: ``python3 milestone_tracker.py [progress|list|complete MODULE|run ID]``.
Set ``TINYTORCH_MILESTONES_PLAIN=1`` to print plain text even where ``rich`` is installed.
"""

import os
import sys

# json, pathlib and time are imported where they are used: check_module_export, tito's call, needs none of them
# (json would import re, about 15 ms of a fresh process; the client talks JSON without it).

try:
    from . import tinytorch_milestones_client as _rpc
except ImportError:  # run as a script, or imported from its folder (as tito does)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tinytorch_milestones_client as _rpc

__all__ = [
    'MILESTONES',
    'MILESTONE_ORDER',
    'MilestoneTracker',
    'check_module_export',
    'show_progress',
    'list_tests',
    'run_milestone',
    'main',
]

EMPTY_PROGRESS_KEYS = ('completed_modules', 'unlocked_milestones', 'completed_milestones')
NOTE_PREFIX = 'Milestones unavailable: '
# The sidecar's run text: the verdict, then this heading and the last lines of output.
LAST_OUTPUT_HEADING = '\n\nLast output:\n'


# ---- the catalog, read from the sidecar on first access (importing this module starts nothing) ----

def _catalog_dicts():
    catalog = _rpc.get_client().request('milestones/catalog', {})
    milestones = {}
    for milestone in catalog['milestones']:
        verify = milestone.get('verify') or {}
        entry = {
            'name': milestone['name'],
            'requires': list(milestone['requires']),
            'test': verify['pytest'].rpartition('::')[2] if 'pytest' in verify else None,
            'description': milestone['description'],
            'unlock_message': milestone['unlockMessage'],
        }
        if 'scripts' in verify:
            entry['scripts'] = list(verify['scripts'])
        milestones[milestone['id']] = entry
    return milestones, [milestone['id'] for milestone in catalog['milestones']]


def __getattr__(name):
    if name in ('MILESTONES', 'MILESTONE_ORDER'):
        try:
            milestones, order = _catalog_dicts()
        except _rpc.SidecarError as error:
            _note(None, error)
            return {} if name == 'MILESTONES' else []  # not cached: the next access tries again
        globals().update(MILESTONES=milestones, MILESTONE_ORDER=order)
        return globals()[name]
    raise AttributeError('module %r has no attribute %r' % (__name__, name))


# ---- drawing: rich when it imports (and only then is it imported), else plain text ----

def _plain_wanted():
    return os.environ.get('TINYTORCH_MILESTONES_PLAIN', '') not in ('', '0')


def _is_rich_console(console):
    return type(console).__module__.split('.')[0] == 'rich'


_rich_console = None


def _rich():
    """A rich Console for our own output, or None when rich is not wanted or not installed."""
    global _rich_console
    if _plain_wanted():
        return None
    if _rich_console is None:
        try:
            from rich.console import Console
        except ImportError:
            return None
        _rich_console = Console()
    return _rich_console


def _say(text, stream=None):
    """Prints a line of the sidecar's text. A terminal in a non-UTF-8 locale cannot show emoji: they become '?',
    never a UnicodeEncodeError."""
    stream = sys.stdout if stream is None else stream
    try:
        stream.write(text + '\n')
    except UnicodeEncodeError:
        encoding = getattr(stream, 'encoding', None) or 'ascii'
        stream.write((text + '\n').encode(encoding, 'replace').decode(encoding))


def _note(console, error):
    """One short line saying that milestones are unavailable; never a traceback."""
    reason = getattr(error, 'summary', None) or (str(error).strip().splitlines() or [type(error).__name__])[0]
    text = ('Milestones: ' if isinstance(error, _rpc.RpcError) else NOTE_PREFIX) + reason
    if console is None:
        print(text, file=sys.stderr)
    elif _is_rich_console(console):
        from rich.text import Text
        console.print(Text(text, style='yellow'))
    elif hasattr(console, 'print'):
        console.print(text)
    else:
        print(text, file=sys.stderr)


def _panel_body(message, style):
    """The original's panel text: a bold first line, the milestone's name in cyan, and its closing
    "Run: COMMAND" line shown as "Run the verification test:" with the command in yellow."""
    from rich.text import Text
    lines = message.split('\n')
    run_line = lines[-1] if len(lines) > 1 and lines[-1].startswith('Run: ') else None
    if run_line is not None:
        lines = lines[:-1]
    body = Text()
    for index, line in enumerate(lines):
        if index:
            body.append('\n')
        if index == 0:
            body.append(line, style='bold ' + style)
        elif index == 2 and line:
            body.append(line, style='bold cyan')
        else:
            body.append(line)
    if run_line is not None:
        if lines:  # the line break that ended the line before "Run: ..."
            body.append('\n')
        body.append('Run the verification test:', style='bold')
        body.append('\n')
        body.append(run_line[len('Run: '):], style='yellow')
    return body


def _print_panel(console, message, style='green'):
    """An unlock or completion message: a rich Panel on a rich console, else its text."""
    if console is not None and _is_rich_console(console):
        from rich import box
        from rich.panel import Panel
        console.print()
        console.print(Panel(_panel_body(message, style), border_style=style, box=box.DOUBLE, expand=False))
        console.print()
    elif console is not None and hasattr(console, 'print'):
        console.print(message)
    else:
        _say('\n' + message + '\n')


def _own_console():
    """Where the tracker draws when the caller gave no console: rich if available, else plain stdout."""
    return _rich()


STATUS_LABELS = {'completed': '✅ Completed', 'unlocked': '🔓 Unlocked', 'locked': '🔒 Locked'}


def _draw_progress(result):
    console = _own_console()
    if console is None:
        _say(result['text'])
        return
    from rich import box
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text
    table = Table(title='🎯 TinyTorch Milestone Progress', box=box.ROUNDED)
    table.add_column('Milestone', style='cyan')
    table.add_column('Status', justify='center')
    table.add_column('Requirements', style='dim')
    styles = {'completed': 'green', 'unlocked': 'yellow', 'locked': 'dim'}
    for milestone in result['milestones']:
        status = milestone['status']
        table.add_row(
            Text(milestone['name']),
            Text(STATUS_LABELS.get(status, status), style=styles.get(status, '')),
            Text('%d/%d modules' % (milestone['met'], len(milestone['requires']))),
        )
    console.print(table)
    console.print()
    following = result.get('next')
    if following:  # as the original: no panel once every milestone is unlocked
        body = Text()
        body.append('Next Milestone:', style='bold')
        body.append(' ' + following['name'])
        if following['missing']:
            body.append('\n\n')
            body.append('Complete these modules:', style='bold')
            body.append(''.join('\n  • ' + module for module in following['missing']))
        console.print(Panel(body, title="📍 What's Next?", border_style='blue'))


def _draw_list(result):
    console = _own_console()
    if console is None or not result['tests']:
        if console is None:
            _say(result['text'])
        else:
            from rich.text import Text
            console.print(Text(result['text'], style='yellow'))
        return
    from rich.text import Text
    console.print(Text('🔓 Unlocked Milestone Tests:', style='bold'))
    console.print()
    for test in result['tests']:
        console.print(Text('• ' + test['name'], style='cyan'))
        console.print(Text('  ' + test['description'], style='dim'))
        console.print(Text('  ' + test['command'], style='yellow'), soft_wrap=True)  # one line, to copy
        console.print()


# ---- the API ----

def _empty_result():
    return {'newly_unlocked': [], 'messages': []}


def check_module_export(module_name, console=None):
    """Records ``module_name`` as completed, re-checks every milestone, and returns
    ``{'newly_unlocked': [...], 'messages': [...]}``; prints an unlock panel per milestone on ``console``.
    It never raises: when the sidecar cannot be reached it prints one short note (nothing without a console)."""
    try:
        result = _rpc.get_client().request('milestones/checkExport', {'module': str(module_name)})
    except _rpc.SidecarError as error:
        if console is not None:
            _note(console, error)
        return _empty_result()
    try:
        answer = {'newly_unlocked': [str(item) for item in result['newlyUnlocked']], 'messages': [str(item) for item in result['messages']]}
    except (KeyError, TypeError, AttributeError) as error:  # a sidecar that answers another shape
        if console is not None:
            _note(console, _rpc.SidecarError('the sidecar answered milestones/checkExport with an unexpected shape (%s)' % type(error).__name__))
        return _empty_result()
    if console is not None:
        note = _note_before_answer(result)
        if note is not None:  # a module outside the catalog: recorded, and the student hears it
            _say_on(console, note)
        for message in answer['messages']:
            _print_panel(console, message)
    return answer


def _note_before_answer(result):
    """The sentence the sidecar puts before its answer (a module the catalog does not list), or None."""
    text = result.get('text')
    first, newline, rest = (text if isinstance(text, str) else '').partition('\n')
    messages = result.get('messages') or []
    answer_follows = rest == '\n\n'.join(messages) if messages else rest.startswith('Recorded ')
    return first if newline and answer_follows else None


def _say_on(console, text):
    if _is_rich_console(console):
        from rich.text import Text
        console.print(Text(text, style='yellow'))
    elif hasattr(console, 'print'):
        console.print(text)
    else:
        _say(text)


class MilestoneTracker:
    """The original tracker's interface, over the sidecar connection for ``progress_file``."""

    def __init__(self, progress_file=None):
        import pathlib
        self.progress_file = pathlib.Path(
            os.path.abspath(os.path.expanduser(str(progress_file))) if progress_file else _rpc.default_progress_file()
        )
        self._client = _rpc.get_client(str(self.progress_file))

    @property
    def progress(self):
        """The progress file's content, as a dict with the original's three lists (re-read at each access)."""
        import json
        progress = {}
        for attempt in range(5):  # the original writes non-atomically: a half-written file is seen for a moment
            try:
                with open(self.progress_file, encoding='utf-8') as handle:
                    loaded = json.load(handle)
                if isinstance(loaded, dict):
                    progress = loaded
                break
            except FileNotFoundError:
                break
            except (ValueError, OSError):
                import time
                time.sleep(0.025)
        for key in EMPTY_PROGRESS_KEYS:
            if not isinstance(progress.get(key), list):
                progress[key] = []
        return progress

    def _request(self, method, params, timeout=_rpc.DEFAULT_TIMEOUT):
        return self._client.request(method, params, timeout=timeout)

    def mark_module_complete(self, module_name):
        """Records a module once (``checkExport`` with ``ifNew``: no re-check when it was already completed)
        and shows a panel per unlocked milestone."""
        self._mark_module_complete(module_name)

    def _mark_module_complete(self, module_name):
        try:
            result = self._request('milestones/checkExport', {'module': str(module_name), 'ifNew': True})
        except _rpc.SidecarError as error:
            _note(None, error)
            return False
        for message in result['messages']:
            _print_panel(_own_console(), message)
        return True

    def mark_milestone_complete(self, milestone_id):
        """Records a milestone as completed; an unknown id raises KeyError and saves nothing."""
        try:
            result = self._request('milestones/markCompleted', {'id': str(milestone_id)})
        except _rpc.RpcError as error:
            if error.kind == 'unknown-milestone' or error.code == -32602:
                raise KeyError(milestone_id) from None
            _note(None, error)
            return None
        except _rpc.SidecarError as error:
            _note(None, error)
            return None
        _print_panel(_own_console(), result['message'], style='yellow')
        return None

    def can_run_milestone(self, milestone_id):
        """Whether the milestone is unlocked (completed ones stay unlocked), as the original."""
        return milestone_id in self.progress['unlocked_milestones']

    def show_progress(self):
        return self._draw('milestones/progress', _draw_progress)

    def list_unlocked_tests(self):
        return self._draw('milestones/list', _draw_list)

    def _draw(self, method, draw):
        """Asks the sidecar and draws its answer; a sidecar that cannot answer is one note, and False."""
        try:
            result = self._request(method, {})
        except _rpc.SidecarError as error:
            _note(None, error)
            return False
        draw(result)
        return True

    def run_milestone(self, milestone_id, timeout_ms=None, on_output=None):
        """Runs a milestone's verification, streaming its output live, and returns the result:
        ``{'id', 'passed', 'exit_code', 'signal', 'duration_ms', 'newly_completed', 'output_tail', 'text'}``.
        ``on_output(stream, text)`` replaces the default printing. Refusals (unknown, locked, already
        running, no workspace) raise ``RpcError`` with its ``kind``; Ctrl-C cancels the run."""
        console = _own_console() if on_output is None else None
        if on_output is None:
            on_output = _rich_output(console) if console is not None else _plain_output

        def forward(params, _method):
            if isinstance(params, dict) and params.get('id') == milestone_id:
                on_output(params.get('stream'), params.get('text', ''))

        params = {'id': str(milestone_id)}
        if timeout_ms:
            params['timeoutMs'] = int(timeout_ms)
        unsubscribe = self._client.on('milestones/runOutput', forward)
        try:
            if console is not None:
                with console.status('Running %s…' % milestone_id, spinner='dots'):
                    result = self._request('milestones/run', params, timeout=None)
            else:
                result = self._request('milestones/run', params, timeout=None)
        finally:
            unsubscribe()
        # The output was streamed as it came: the verdict without repeating its last lines.
        verdict = result['text'].split(LAST_OUTPUT_HEADING)[0]
        if console is not None:
            _print_panel(console, verdict, style='green' if result['passed'] else 'red')
        else:
            _say(verdict)
        return {
            'id': result['id'],
            'passed': result['passed'],
            'exit_code': result['exitCode'],
            'signal': result['signal'],
            'duration_ms': result['durationMs'],
            'newly_completed': result['newlyCompleted'],
            'output_tail': result['outputTail'],
            'text': result['text'],
        }


def _plain_output(stream, text):
    target = sys.stderr if stream == 'stderr' else sys.stdout
    _say(text[:-1] if text.endswith('\n') else text, target)
    target.flush()


def _rich_output(console):
    def write(stream, text):
        from rich.text import Text
        console.print(Text(text.rstrip('\n'), style='red' if stream == 'stderr' else ''))
    return write


def show_progress():
    MilestoneTracker().show_progress()


def list_tests():
    MilestoneTracker().list_unlocked_tests()


def run_milestone(milestone_id, **options):
    return MilestoneTracker().run_milestone(milestone_id, **options)


# ---- CLI ----

USAGE = 'usage: milestone_tracker.py [progress | list | complete MODULE | run ID]'


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else 'progress'
    tracker = MilestoneTracker()
    if command == 'progress' and len(args) <= 1:
        return 0 if tracker.show_progress() else 1
    if command == 'list' and len(args) == 1:
        return 0 if tracker.list_unlocked_tests() else 1
    if command == 'complete' and len(args) == 2:
        return 0 if tracker._mark_module_complete(args[1]) else 1
    if command == 'run' and len(args) == 2:
        try:
            result = tracker.run_milestone(args[1])
        except _rpc.RpcError as error:
            print(error.message, file=sys.stderr)
            return 1
        except _rpc.SidecarError as error:
            _note(None, error)
            return 1
        except KeyboardInterrupt:
            return 130
        return 0 if result['passed'] else 1
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
