"""`tito milestones` through the tinytorch-milestones sidecar: the same subcommands and flags as today's tito
command (list, run, info, status, timeline, test, demo), drawn with rich as tito draws, every rule in the sidecar.

`tinytorch-milestones integrate DIR` registers ``MilestoneCommand`` in tito in place of its own command. It also
runs alone: ``python3 tito_milestones.py list``. Standard library only; rich is used when it can be imported.
"""

import argparse
import sys

try:
    from . import milestone_tracker as _tracker
    from . import tinytorch_milestones_client as _rpc
except ImportError:  # loaded from its file (tito's registration) or run as a script
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import milestone_tracker as _tracker
    import tinytorch_milestones_client as _rpc

__all__ = ['MilestoneCommand', 'main']

SUBCOMMANDS = (
    ('list', 'List the milestones and their status'),
    ('run', 'Run a milestone (the sidecar checks that it is unlocked)'),
    ('info', 'Show what a milestone needs and runs'),
    ('status', 'View milestone progress and achievements'),
    ('timeline', 'View the milestones as a timeline'),
    ('test', 'Check a milestone\'s requirements without running it'),
    ('demo', 'Run a milestone to watch your code learn'),
)
STATUS = {
    'completed': ('✅', 'green', 'COMPLETE'),
    'unlocked': ('🎯', 'yellow', 'READY TO RUN'),
    'locked': ('🔒', 'dim', 'LOCKED'),
}


class _Plain:
    """Prints like a rich console where rich is missing: markup is dropped, panels become indented text."""

    def print(self, *parts, **_options):
        import re
        text = ' '.join(str(getattr(part, 'plain', part)) for part in parts)
        _tracker._say(re.sub(r'\[/?[a-z ]+\]', '', text))


class MilestoneCommand:
    """Stands where tito's own MilestoneCommand stood: tito builds it with its config, adds its arguments
    to a subparser and calls ``execute(args)``."""

    category = 'tracking'
    hidden = False

    def __init__(self, config=None):
        self.config = config
        self.console = _tracker._rich() or _Plain()

    @property
    def name(self):
        return 'milestones'

    @property
    def description(self):
        return 'Milestone achievements, tracked by the tinytorch-milestones sidecar'

    # ---- arguments: today's tito subcommands and flags ----

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest='milestone_command', help='Milestone subcommands', metavar='SUBCOMMAND')
        helps = dict(SUBCOMMANDS)
        subparsers.add_parser('list', help=helps['list']).add_argument('--simple', action='store_true', help='One line per milestone')
        run = subparsers.add_parser('run', help=helps['run'])
        run.add_argument('milestone_id', help='Milestone ID to run (01-06)')
        run.add_argument('--skip-checks', action='store_true', help='Accepted for compatibility: the sidecar always checks')
        subparsers.add_parser('info', help=helps['info']).add_argument('milestone_id', help='Milestone ID (01-06)')
        subparsers.add_parser('status', help=helps['status']).add_argument('--detailed', action='store_true', help='Show each milestone\'s modules')
        subparsers.add_parser('timeline', help=helps['timeline']).add_argument('--horizontal', action='store_true', help='One line instead of a tree')
        subparsers.add_parser('test', help=helps['test']).add_argument('milestone_id', nargs='?', help='Milestone ID; default: the next one to unlock')
        subparsers.add_parser('demo', help=helps['demo']).add_argument('milestone_id', help='Milestone ID (01-06)')

    def validate_args(self, args):
        pass

    def execute(self, args):
        try:
            return self.run(args)
        except KeyboardInterrupt:
            return 130

    def run(self, args):
        command = getattr(args, 'milestone_command', None)
        handlers = {
            'list': self._list, 'run': self._run, 'info': self._info, 'status': self._status,
            'timeline': self._timeline, 'test': self._test, 'demo': self._run,
        }
        if command is None:
            return self._overview()
        try:
            return handlers[command](args)
        except _rpc.RpcError as error:  # a refusal of the sidecar (unknown, locked, already running): one sentence
            self._panel('[red]%s[/red]' % self._escape(error.message), 'Milestones', 'red')
            return 1
        except _rpc.SidecarError as error:
            _tracker._note(self.console if _tracker._is_rich_console(self.console) else None, error)
            return 1

    # ---- drawing ----

    @staticmethod
    def _escape(text):
        try:
            from rich.markup import escape
        except ImportError:
            return text
        return escape(text)

    def _panel(self, markup, title, style):
        if _tracker._is_rich_console(self.console):
            from rich.panel import Panel
            self.console.print(Panel(markup, title=title, border_style=style))
            return
        import re
        plain = re.sub(r'\[/?[a-z ]+\]', '', markup)
        _tracker._say('%s\n%s' % (title, '\n'.join('  ' + line for line in plain.split('\n'))))

    def _request(self, method, params=None, timeout=_rpc.DEFAULT_TIMEOUT):
        return _rpc.get_client().request(method, params or {}, timeout=timeout)

    def _state(self):
        """The progress (statuses, modules met) and the catalog (scripts), by id."""
        progress = self._request('milestones/progress')
        catalog = self._request('milestones/catalog')
        return progress, {milestone['id']: milestone for milestone in catalog['milestones']}

    def _overview(self):
        lines = ['[bold cyan]Milestone Commands[/bold cyan]', '', 'Recreate ML history with your own TinyTorch.', '']
        lines += ['  • [bold]%-9s[/bold] %s' % (name, text) for name, text in SUBCOMMANDS]
        lines += ['', '[dim]Examples: tito milestones list · tito milestones run 01 · tito milestones info 03[/dim]']
        self._panel('\n'.join(lines), '🏆 Milestone System', 'bright_cyan')
        return 0

    @staticmethod
    def _scripts(definition):
        verify = definition.get('verify') or {}
        return verify.get('scripts') or ([verify['pytest']] if 'pytest' in verify else [])

    def _list(self, args):
        progress, catalog = self._state()
        if not args.simple:
            self._panel('[bold cyan]🏆 TinyTorch Milestones[/bold cyan]\n\n[dim]Recreate ML history, one milestone at a time[/dim]',
                        'Available Milestones', 'bright_cyan')
        for milestone in progress['milestones']:
            icon, style, label = STATUS[milestone['status']]
            head = '%s %s - %s' % (icon, milestone['id'], milestone['name'])
            if args.simple:
                self.console.print('[%s]%s[/%s]' % (style, self._escape(head), style) if _tracker._is_rich_console(self.console) else head)
                continue
            body = ['[%s]%s %s[/%s]' % (style, icon, self._escape(milestone['name']), style), '[dim]%s[/dim]' % self._escape(milestone['description'])]
            if milestone['status'] == 'unlocked':
                body.append('\n[bold yellow]▶ Run now:[/bold yellow] [cyan]tito milestones run %s[/cyan]' % milestone['id'])
            elif milestone['status'] == 'locked' and milestone['missing']:
                body.append('\n[dim]Required: complete %s[/dim]' % ', '.join(milestone['missing']))
            elif milestone['status'] == 'locked':
                body.append('\n[dim]Export one of its modules again (tito module complete) to unlock it.[/dim]')
            self._panel('\n'.join(body), 'Milestone %s · %s' % (milestone['id'], label), style if style != 'dim' else 'white')
        return 0

    def _run(self, args):
        if getattr(args, 'skip_checks', False):
            self.console.print('--skip-checks: the sidecar decides what a run needs; it checks anyway.')
        result = _tracker.MilestoneTracker().run_milestone(args.milestone_id)
        return 0 if result['passed'] else 1

    def _info(self, args):
        progress, catalog = self._state()
        milestone = next((entry for entry in progress['milestones'] if entry['id'] == args.milestone_id), None)
        if milestone is None:
            known = ', '.join(entry['id'] for entry in progress['milestones'])
            self._panel('[red]Unknown milestone: %s[/red]\n\nMilestones of this catalog: %s' % (self._escape(args.milestone_id), known), 'Unknown Milestone', 'red')
            return 1
        definition = catalog.get(milestone['id'], {})
        lines = ['[bold cyan]%s[/bold cyan]' % self._escape(milestone['name']), '', self._escape(milestone['description']), '',
                 '[yellow]📋 Required modules:[/yellow]']
        missing = set(milestone['missing'])
        lines += ['  %s %s' % ('[red]✗[/red]' if module in missing else '[green]✓[/green]', module) for module in milestone['requires']]
        lines += ['', '[yellow]📂 Runs:[/yellow]'] + ['  • %s' % script for script in self._scripts(definition)]
        icon, style, label = STATUS[milestone['status']]
        lines += ['', '[bold %s]%s %s[/bold %s]' % (style, icon, label, style)]
        if milestone['status'] == 'unlocked':
            lines.append('[cyan]tito milestones run %s[/cyan]' % milestone['id'])
        self._panel('\n'.join(lines), 'Milestone %s Information' % milestone['id'], 'bright_cyan')
        return 0

    def _status(self, args):
        _tracker.MilestoneTracker().show_progress()
        if args.detailed:
            progress, _catalog = self._state()
            for milestone in progress['milestones']:
                icon, style, label = STATUS[milestone['status']]
                missing = ', '.join(milestone['missing']) or 'none'
                self.console.print('%s %s %s: %d/%d modules; missing: %s' % (icon, milestone['id'], milestone['name'], milestone['met'], len(milestone['requires']), missing))
        return 0

    def _timeline(self, args):
        progress, _catalog = self._state()
        milestones = progress['milestones']
        done = sum(1 for milestone in milestones if milestone['status'] == 'completed')
        if args.horizontal:
            marks = {'completed': '●', 'unlocked': '◐', 'locked': '○'}
            line = '━━'.join(marks[milestone['status']] for milestone in milestones)
            self.console.print('%s  %d/%d milestones completed' % (line, done, len(milestones)))
            self.console.print('  '.join('%s %s' % (milestone['id'], milestone['name']) for milestone in milestones))
            return 0
        if _tracker._is_rich_console(self.console):
            from rich.tree import Tree
            tree = Tree('[bold]🕰️  TinyTorch Milestone Timeline[/bold] (%d/%d completed)' % (done, len(milestones)))
            for milestone in milestones:
                icon, style, label = STATUS[milestone['status']]
                tree.add('[%s]%s %s · %s[/%s]' % (style, icon, self._escape(milestone['name']), label, style))
            self.console.print(tree)
        else:
            _tracker._say('TinyTorch Milestone Timeline (%d/%d completed)' % (done, len(milestones)))
            for milestone in milestones:
                icon, _style, label = STATUS[milestone['status']]
                _tracker._say('  %s %s · %s' % (icon, milestone['name'], label))
        return 0

    def _test(self, args):
        progress, _catalog = self._state()
        wanted = args.milestone_id or (progress['next'] or {}).get('id')
        if wanted is None:
            self._panel('[green]Every milestone is unlocked.[/green]\n\nRun one: [dim]tito milestones list[/dim]', 'Nothing to Test', 'green')
            return 0
        milestone = next((entry for entry in progress['milestones'] if entry['id'] == wanted), None)
        if milestone is None:
            known = ', '.join(entry['id'] for entry in progress['milestones'])
            self._panel('[red]Unknown milestone: %s[/red]\n\nMilestones of this catalog: %s' % (self._escape(wanted), known), 'Unknown Milestone', 'red')
            return 1
        if milestone['missing']:
            commands = '\n'.join('[dim]  tito module complete %s[/dim]' % module.split('_')[0] for module in milestone['missing'][:3])
            self._panel('[bold yellow]⚠️ %s needs more modules[/bold yellow]\n\n[red]Missing: %s[/red]\n\n%s'
                        % (self._escape(milestone['name']), ', '.join(milestone['missing']), commands), 'Requirements Missing', 'yellow')
        else:
            self._panel('[bold green]✅ %s: every required module is completed[/bold green]\n\n[cyan]tito milestones run %s[/cyan]'
                        % (self._escape(milestone['name']), milestone['id']), 'Ready', 'green')
        return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog='tito milestones', description=MilestoneCommand().description)
    command = MilestoneCommand()
    command.add_arguments(parser)
    return command.execute(parser.parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
