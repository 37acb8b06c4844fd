#!/usr/bin/env bash
# tinytorch-milestones.sh: a JSON-RPC client of the tinytorch-milestones sidecar, in bash and coreutils only.
#
# Usage: tinytorch-milestones.sh progress|list|check-export MODULE|run ID|watch [--json|--notify]
#
# watch --notify shows each unlock and completion as a desktop notification: notify-send (Linux), osascript
# (macOS), else a plain line.
#
# The sidecar is found as TINYTORCH_MILESTONES_CMD (split as a shell would), then tinytorch-milestones on
# PATH, then node with this checkout's bin/tinytorch-milestones.js. When that command is this package's bin,
# `connect` is appended: stdio bridged to the per-user daemon (started when missing, SPEC section 10), which
# serves stdio itself when the daemon cannot be used; otherwise, or with TINYTORCH_MILESTONES_DAEMON=0, `--stdio`.
# Frames are `Content-Length: N\r\n\r\n` + JSON, N in bytes: the whole script runs with LC_ALL=C.

set -u
export LC_ALL=C

# coproc, {fd} redirections and mapfile need bash 4; macOS ships bash 3.2. Checked before any of them is parsed.
if ((BASH_VERSINFO[0] < 4)); then
    printf '%s\n' "tinytorch-milestones.sh: needs bash 4 or newer and this is bash $BASH_VERSION; on macOS, install one with \`brew install bash\` and run this script with it." >&2
    exit 1
fi

PROGRAM=tinytorch-milestones.sh
USAGE="usage: $PROGRAM progress|list|check-export MODULE|run ID|watch [--json|--notify]"
REQUEST_TIMEOUT=${TINYTORCH_MILESTONES_TIMEOUT:-60}

# The sidecar: its pid, the fds we write to and read from, and the file that holds its stderr.
SIDECAR_PID=
TO_SIDECAR=
FROM_SIDECAR=
STDERR_FILE=
NEXT_ID=1
# The last frame read: its body, and the fields of it that the caller asked for.
FRAME=
STOPPING=

say() {
    printf '%s\n' "$*"
}

err() {
    printf '%s: %s\n' "$PROGRAM" "$*" >&2
}

need_cmd() {
    if ! command -v "$1" >/dev/null 2>&1; then
        err "need '$1' (command not found)"
        exit 1
    fi
}

# ---- JSON, the little this client needs ----

# json_quote STRING: sets REPLY to STRING as a JSON string literal.
json_quote() {
    local s=$1 c i out=
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    s=${s//$'\r'/\\r}
    s=${s//$'\t'/\\t}
    if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
        for ((i = 0; i < ${#s}; i++)); do
            c=${s:i:1}
            if [[ $c == [$'\x01'-$'\x1f'] ]]; then
                printf -v c '\\u%04x' "'$c"
            fi
            out+=$c
        done
        s=$out
    fi
    REPLY="\"$s\""
}

# json_value_end JSON START: sets REPLY to the index just past the JSON value that starts at START.
json_value_end() {
    local json=$1 i=$2 depth=0 c rest
    local string_re='^"([^"\\]|\\.)*"'
    c=${json:i:1}
    case $c in
        '"')
            rest=${json:i}
            [[ $rest =~ $string_re ]] || return 1
            REPLY=$((i + ${#BASH_REMATCH[0]}))
            return 0
            ;;
        '{' | '[')
            while ((i < ${#json})); do
                c=${json:i:1}
                case $c in
                    '"')
                        rest=${json:i}
                        [[ $rest =~ $string_re ]] || return 1
                        i=$((i + ${#BASH_REMATCH[0]}))
                        continue
                        ;;
                    '{' | '[') depth=$((depth + 1)) ;;
                    '}' | ']')
                        depth=$((depth - 1))
                        if ((depth == 0)); then
                            REPLY=$((i + 1))
                            return 0
                        fi
                        ;;
                esac
                i=$((i + 1))
            done
            return 1
            ;;
        *)
            rest=${json:i}
            rest=${rest%%[,\}\]]*}
            REPLY=$((i + ${#rest}))
            return 0
            ;;
    esac
}

# json_get JSON KEY: sets REPLY to the raw JSON value of KEY in the top-level object JSON; fails if absent.
json_get() {
    local json=$1 key="\"$2\"" i=1 name start
    while ((i < ${#json})); do
        # Skip whitespace and commas to the next key.
        while [[ ${json:i:1} == [[:space:],] ]]; do i=$((i + 1)); done
        [[ ${json:i:1} == '"' ]] || return 1
        json_value_end "$json" "$i" || return 1
        name=${json:i:REPLY-i}
        i=$REPLY
        while [[ ${json:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
        [[ ${json:i:1} == ':' ]] || return 1
        i=$((i + 1))
        while [[ ${json:i:1} == [[:space:]] ]]; do i=$((i + 1)); done
        start=$i
        json_value_end "$json" "$i" || return 1
        i=$REPLY
        if [[ $name == "$key" ]]; then
            REPLY=${json:start:i-start}
            return 0
        fi
    done
    return 1
}

# utf8 CODEPOINT: appends the UTF-8 bytes of CODEPOINT to DECODED.
utf8() {
    local cp=$1 format
    if ((cp < 0x80)); then
        printf -v format '\\x%02x' "$cp"
    elif ((cp < 0x800)); then
        printf -v format '\\x%02x\\x%02x' $((0xC0 | cp >> 6)) $((0x80 | (cp & 0x3F)))
    elif ((cp < 0x10000)); then
        printf -v format '\\x%02x\\x%02x\\x%02x' $((0xE0 | cp >> 12)) $((0x80 | (cp >> 6 & 0x3F))) $((0x80 | (cp & 0x3F)))
    else
        printf -v format '\\x%02x\\x%02x\\x%02x\\x%02x' $((0xF0 | cp >> 18)) $((0x80 | (cp >> 12 & 0x3F))) \
            $((0x80 | (cp >> 6 & 0x3F))) $((0x80 | (cp & 0x3F)))
    fi
    ((cp == 0)) && return 0 # a NUL cannot live in a bash string
    local bytes
    # shellcheck disable=SC2059 # the format is the escapes built above, on purpose
    printf -v bytes "$format"
    DECODED+=$bytes
}

# json_string LITERAL: sets REPLY to the decoded text of a JSON string literal (quotes included).
json_string() {
    local rest=${1:1:${#1}-2} c hex low cp
    local hex_re='^[0-9a-fA-F]{4}'
    DECODED=
    while [[ $rest == *\\* ]]; do
        DECODED+=${rest%%\\*}
        rest=${rest#*\\}
        c=${rest:0:1}
        rest=${rest:1}
        case $c in
            n) DECODED+=$'\n' ;;
            t) DECODED+=$'\t' ;;
            r) DECODED+=$'\r' ;;
            b) DECODED+=$'\b' ;;
            f) DECODED+=$'\f' ;;
            u)
                hex=${rest:0:4}
                [[ $hex =~ $hex_re ]] || return 1
                rest=${rest:4}
                cp=$((16#$hex))
                if ((cp >= 0xD800 && cp <= 0xDBFF)) && [[ ${rest:0:2} == '\u' ]]; then
                    low=${rest:2:4}
                    if [[ $low =~ $hex_re ]] && ((16#$low >= 0xDC00 && 16#$low <= 0xDFFF)); then
                        cp=$((0x10000 + ((cp - 0xD800) << 10) + (16#$low - 0xDC00)))
                        rest=${rest:6}
                    fi
                fi
                utf8 "$cp"
                ;;
            *) DECODED+=$c ;; # \" \\ \/
        esac
    done
    DECODED+=$rest
    REPLY=$DECODED
}

# json_get_string JSON KEY: sets REPLY to the decoded string value of KEY; fails if absent or not a string.
json_get_string() {
    json_get "$1" "$2" || return 1
    [[ $REPLY == '"'* ]] || return 1
    json_string "$REPLY"
}

# ---- the sidecar ----

find_sidecar() {
    SIDECAR_CMD=()
    if [[ -n ${TINYTORCH_MILESTONES_CMD:-} ]]; then
        # Split as a shell would (quotes and escapes); the variable is the user's own configuration.
        if ! eval "SIDECAR_CMD=($TINYTORCH_MILESTONES_CMD)" 2>/dev/null; then
            err "TINYTORCH_MILESTONES_CMD is not a valid command line: $TINYTORCH_MILESTONES_CMD"
            exit 1
        fi
        ((${#SIDECAR_CMD[@]} > 0)) && return 0
    fi
    if command -v tinytorch-milestones >/dev/null 2>&1; then
        SIDECAR_CMD=("$(command -v tinytorch-milestones)")
        return 0
    fi
    local here checkout_bin
    here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P) || exit 1
    checkout_bin="$here/../../bin/tinytorch-milestones.js"
    if [[ -f $checkout_bin ]]; then
        need_cmd node
        SIDECAR_CMD=(node "$checkout_bin")
        return 0
    fi
    err "the milestone sidecar is not installed: install it with npm install -g tinytorch-milestones (or set TINYTORCH_MILESTONES_CMD to a command that starts it)"
    exit 1
}

# daemon_usable: the command is this package's own bin, with no flags after it (a daemon session takes its
# settings from this environment alone), and TINYTORCH_MILESTONES_DAEMON does not turn reuse off.
daemon_usable() {
    case ${TINYTORCH_MILESTONES_DAEMON:-} in
        0 | [Ff]alse | [Nn]o | [Oo]ff) return 1 ;;
    esac
    local last=${SIDECAR_CMD[${#SIDECAR_CMD[@]} - 1]}
    [[ ${last##*/} == tinytorch-milestones || ${last##*/} == tinytorch-milestones.js ]]
}

start_sidecar() {
    find_sidecar
    local mode=--stdio
    daemon_usable && mode=connect
    STDERR_FILE=$(mktemp "${TMPDIR:-/tmp}/tinytorch-milestones.XXXXXX") || exit 1
    if [[ ${SIDECAR_CMD[0]} != */* ]] && ! command -v -- "${SIDECAR_CMD[0]}" >/dev/null 2>&1; then
        err "cannot start the milestone sidecar (${SIDECAR_CMD[*]}): command not found"
        exit 1
    fi
    if [[ ${SIDECAR_CMD[0]} == */* && ! -x ${SIDECAR_CMD[0]} ]]; then
        err "cannot start the milestone sidecar (${SIDECAR_CMD[*]}): no such executable file"
        exit 1
    fi
    coproc MILESTONES_SIDECAR { exec "${SIDECAR_CMD[@]}" "$mode" 2>"$STDERR_FILE"; }
    # Our own copies of its pid and pipe ends: bash unsets the coproc's variables when it exits.
    SIDECAR_PID=$MILESTONES_SIDECAR_PID
    # shellcheck disable=SC2261 # two {fd} duplications, not two redirections of one stream
    exec {TO_SIDECAR}>&"${MILESTONES_SIDECAR[1]}" {FROM_SIDECAR}<&"${MILESTONES_SIDECAR[0]}"
    # shellcheck disable=SC1083 # {array[n]}>&- closes the fd held in the coproc's array (bash 4.3+)
    exec {MILESTONES_SIDECAR[1]}>&- {MILESTONES_SIDECAR[0]}<&-
}

# send JSON: writes one frame; Content-Length counts bytes (LC_ALL=C).
send() {
    printf 'Content-Length: %d\r\n\r\n%s' "${#1}" "$1" 1>&"$TO_SIDECAR" 2>/dev/null
}

# read_frame [TIMEOUT]: reads the next frame into FRAME, skipping bytes that are not a header. Fails at end of input.
read_frame() {
    local timeout=${1:-} line length='' options=()
    [[ -n $timeout ]] && options=(-t "$timeout")
    while true; do
        IFS= read -r "${options[@]}" line <&"$FROM_SIDECAR" || return
        line=${line%$'\r'}
        if [[ -z $line ]]; then
            [[ -n $length ]] && break
            continue
        fi
        if [[ $line =~ ^Content-Length:[[:space:]]*([0-9]+)[[:space:]]*$ ]]; then
            length=${BASH_REMATCH[1]}
        elif [[ $line =~ Content-Length:[[:space:]]*([0-9]+)[[:space:]]*$ ]]; then
            length=${BASH_REMATCH[1]} # a header after stray bytes on the same line
        elif [[ $line != *:* ]]; then
            length= # not a header line: stray output
        fi
    done
    FRAME=
    ((length == 0)) && return 0
    IFS= read -r -N "$length" "${options[@]}" FRAME <&"$FROM_SIDECAR" || [[ ${#FRAME} -eq $length ]] || return
}

# sidecar_gone: the error message for a sidecar that stopped answering (exit status and stderr tail).
sidecar_gone() {
    local status=
    exec {TO_SIDECAR}>&-
    if [[ -n $SIDECAR_PID ]]; then
        wait "$SIDECAR_PID" 2>/dev/null
        status=$?
        SIDECAR_PID=
    fi
    err "the milestone sidecar (${SIDECAR_CMD[*]}) stopped${status:+ with exit status $status}"
    if [[ -s $STDERR_FILE ]]; then
        # The line naming the error (a Node stack trace ends far below it), then the last lines.
        local lines=() line telling='' i
        mapfile -t lines < <(tail -n 200 -- "$STDERR_FILE")
        for line in "${lines[@]}"; do
            [[ $line == *Error* && ! $line =~ ^[[:space:]]+at[[:space:]] ]] && telling=$line
        done
        [[ -n $telling ]] && printf '  %s\n' "$telling" >&2
        for ((i = ${#lines[@]} > 5 ? ${#lines[@]} - 5 : 0; i < ${#lines[@]}; i++)); do
            printf '  %s\n' "${lines[i]}" >&2
        done
    fi
    rm -f -- "$STDERR_FILE"
    exit 1
}

# answer_server_request: the sidecar asked us something (LSP requests such as workDoneProgress/create): say null.
answer_server_request() {
    local id=$1
    send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"result\":null}"
}

# on_notification METHOD PARAMS: prints run output live while a request is pending.
on_notification() {
    local method=$1 params=$2 stream
    if [[ $method == milestones/runOutput ]] && json_get_string "$params" text; then
        local text=$REPLY
        json_get_string "$params" stream && stream=$REPLY || stream=stdout
        if [[ $stream == stderr || -n $JSON_OUTPUT ]]; then # with --json, stdout holds the result only
            printf '%s' "$text" >&2
        else
            printf '%s' "$text"
        fi
    fi
}

# request METHOD PARAMS [TIMEOUT]: sends a request and waits for its answer; sets RESULT (raw JSON) or
# ERROR_MESSAGE and returns 1 on an error answer.
request() {
    local method=$1 params=$2 timeout=${3:-} id=$NEXT_ID message_id message_method
    NEXT_ID=$((NEXT_ID + 1))
    send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"$method\",\"params\":$params}" || sidecar_gone
    local status
    while true; do
        read_frame "$timeout"
        status=$?
        if ((status > 128)) && [[ -n $timeout ]]; then
            err "$method: no answer within $timeout s"
            stop_sidecar
            exit 1
        elif ((status != 0)); then
            sidecar_gone
        fi
        [[ $FRAME == '{'* ]] || continue
        if json_get "$FRAME" method; then
            json_string "$REPLY"
            message_method=$REPLY
            if json_get "$FRAME" id; then
                answer_server_request "$REPLY"
            elif json_get "$FRAME" params; then
                on_notification "$message_method" "$REPLY"
            fi
            continue
        fi
        json_get "$FRAME" id || continue
        message_id=$REPLY
        [[ $message_id == "$id" ]] || continue
        if json_get "$FRAME" error && [[ $REPLY != null ]]; then
            local error=$REPLY
            ERROR_MESSAGE=$method\ failed
            json_get_string "$error" message && ERROR_MESSAGE=$REPLY
            return 1
        fi
        json_get "$FRAME" result || RESULT=null
        RESULT=${REPLY:-null}
        return 0
    done
}

initialize() {
    local root
    json_quote "$PWD"
    root=$REPLY
    if ! request initialize "{\"processId\":$$,\"rootPath\":$root,\"capabilities\":{\"experimental\":{\"milestones\":{\"notifications\":true}}},\"clientInfo\":{\"name\":\"$PROGRAM\"}}" "$REQUEST_TIMEOUT"; then
        err "initialize: $ERROR_MESSAGE"
        exit 1
    fi
    local version=
    if json_get "$RESULT" capabilities && json_get "$REPLY" experimental && json_get "$REPLY" milestones &&
        json_get "$REPLY" protocolVersion; then
        version=$REPLY
    fi
    if [[ $version != 1 ]]; then
        err "the milestone sidecar (${SIDECAR_CMD[*]}) speaks milestones protocol version ${version:-unknown}, and this client speaks version 1"
        stop_sidecar
        exit 1
    fi
    send '{"jsonrpc":"2.0","method":"initialized","params":{}}' || sidecar_gone
}

# stop_sidecar: shutdown, exit, and wait for it (killing it if it lingers); safe to call twice.
stop_sidecar() {
    [[ -n $STOPPING ]] && return 0
    STOPPING=1
    # Ctrl-C in a terminal signals the sidecar too, so it may be gone: writing to it must fail, not kill us (SIGPIPE).
    trap '' PIPE
    if [[ -n $SIDECAR_PID ]]; then
        local id=$NEXT_ID
        NEXT_ID=$((NEXT_ID + 1))
        if send "{\"jsonrpc\":\"2.0\",\"id\":$id,\"method\":\"shutdown\",\"params\":{}}"; then
            # Wait (briefly) for the shutdown answer before exit, so that it is not lost.
            local waited=0
            while read_frame 5; do
                if json_get "$FRAME" id && [[ $REPLY == "$id" ]] && ! json_get "$FRAME" method; then
                    break
                fi
                waited=$((waited + 1))
                ((waited > 1000)) && break
            done
            send '{"jsonrpc":"2.0","method":"exit","params":{}}'
        fi
        [[ -n $TO_SIDECAR ]] && exec {TO_SIDECAR}>&-
        local tries=0
        while kill -0 "$SIDECAR_PID" 2>/dev/null && ((tries < 50)); do
            sleep 0.1
            tries=$((tries + 1))
        done
        kill -0 "$SIDECAR_PID" 2>/dev/null && kill -KILL "$SIDECAR_PID" 2>/dev/null
        wait "$SIDECAR_PID" 2>/dev/null
        SIDECAR_PID=
    fi
    [[ -n $STDERR_FILE ]] && rm -f -- "$STDERR_FILE"
}

# ---- subcommands ----

# print_result: the result's text, or the result JSON with --json.
print_result() {
    if [[ -n $JSON_OUTPUT ]]; then
        say "$RESULT"
    elif json_get_string "$RESULT" text; then
        say "$REPLY"
    elif json_get_string "$RESULT" message; then
        say "$REPLY"
    else
        say "$RESULT"
    fi
}

fail_request() {
    err "$ERROR_MESSAGE"
    stop_sidecar
    exit 1
}

cmd_simple() {
    local method=$1 params=$2 timeout=${3:-$REQUEST_TIMEOUT}
    start_sidecar
    initialize
    request "$method" "$params" "$timeout" || fail_request
    print_result
}

cmd_run() {
    local id passed
    json_quote "$1"
    id=$REPLY
    start_sidecar
    initialize
    trap 'stop_sidecar; exit 130' INT
    trap 'stop_sidecar; exit 143' TERM
    request milestones/run "{\"id\":$id}" || fail_request
    print_result
    json_get "$RESULT" passed && passed=$REPLY
    stop_sidecar
    [[ ${passed:-false} == true ]]
}

# desktop_notify TITLE BODY: a desktop notification; returns 1 when there is no notifier or it failed.
desktop_notify() {
    local title=$1 body=$2
    if command -v notify-send >/dev/null 2>&1; then
        notify-send --app-name=TinyTorch -- "$title" "$body" 2>/dev/null
    elif command -v osascript >/dev/null 2>&1; then
        osascript -e 'on run argv' -e 'display notification (item 2 of argv) with title (item 1 of argv)' -e 'end run' \
            "$title" "$body" >/dev/null 2>&1
    else
        return 1
    fi
}

# notify_milestone PARAMS: an unlock or completion as a desktop notification: its message's first line is the
# title, the rest the body. Without a working notifier: a plain line, and once a hint on stderr.
NOTIFY_HINTED=
notify_milestone() {
    local params=$1 message name title body
    json_get_string "$params" message || return 0
    message=$REPLY
    json_get_string "$params" name && name=$REPLY || name=
    title=${message%%$'\n'*}
    body=${message#"$title"}
    body=${body#$'\n'}
    body=${body#$'\n'}
    desktop_notify "$title" "$body" && return 0
    say "$title ${name:-$body}"
    if [[ -z $NOTIFY_HINTED ]]; then
        NOTIFY_HINTED=1
        err "no desktop notifier worked (notify-send on Linux: apt install libnotify-bin; osascript on macOS); printing here instead"
    fi
}

cmd_watch() {
    start_sidecar
    trap 'stop_sidecar; exit 0' INT TERM
    initialize
    local method
    local status
    while true; do
        read_frame
        status=$?
        ((status > 128)) && continue # interrupted by a signal: its trap has run or will
        ((status != 0)) && sidecar_gone
        [[ $FRAME == '{'* ]] || continue
        json_get "$FRAME" method || continue
        method=$REPLY
        if json_get "$FRAME" id; then
            answer_server_request "$REPLY"
            continue
        fi
        if [[ -z $NOTIFY ]]; then
            say "$FRAME"
            continue
        fi
        json_string "$method"
        method=$REPLY
        json_get "$FRAME" params || continue
        case $method in
            milestones/unlocked | milestones/completed) notify_milestone "$REPLY" ;;
            window/logMessage) json_get_string "$REPLY" message && say "$REPLY" ;;
        esac
    done
}

main() {
    need_cmd mktemp
    need_cmd tail
    JSON_OUTPUT=
    NOTIFY=
    local args=() arg
    for arg in "$@"; do
        case $arg in
            --json) JSON_OUTPUT=1 ;;
            --notify) NOTIFY=1 ;;
            -h | --help)
                say "$USAGE"
                exit 0
                ;;
            *) args+=("$arg") ;;
        esac
    done
    set -- "${args[@]+"${args[@]}"}"
    local command=${1:-}
    if [[ -n $NOTIFY && $command != watch ]]; then
        err "--notify goes with watch; $USAGE"
        exit 2
    fi
    case "$command:$#" in
        progress:1) cmd_simple milestones/progress '{}' ;;
        list:1) cmd_simple milestones/list '{}' ;;
        catalog:1) cmd_simple milestones/catalog '{}' ;;
        check-export:2)
            json_quote "$2"
            local module=$REPLY
            cmd_simple milestones/checkExport "{\"module\":$module}"
            ;;
        run:2) cmd_run "$2" ;;
        watch:1) cmd_watch ;;
        *)
            err "$USAGE"
            exit 2
            ;;
    esac
    local status=$?
    stop_sidecar
    exit "$status"
}

main "$@"
