# asyncwise loop inspector: the snapshot script the Python backend evaluates inside a program
# debugged by debugpy. Sent as source with every request and run with exec() in a fresh namespace,
# so it leaves nothing behind in the program.
#
# Rules this script keeps (see /work/shared/INSPECTOR.md):
# - It only reads. The exceptions are an explicit `cancel`, which schedules `task.cancel(msg)`, and
#   `shutdown`, which schedules it for every pending task, as `asyncio.run()` does when it ends.
# - Tasks come from asyncio's task registries, never from a GC scan.
# - When the program runs, the reading happens on each loop's own thread, scheduled with
#   `call_soon_threadsafe`; the evaluating (debugger) thread waits for it on a `threading.Event`,
#   bounded, then formats and sends the result, so the loop stalls only for the reading. If the
#   evaluating thread is the loop's own thread, the whole snapshot runs as a loop callback instead.
#   When the program is paused, every thread is stopped and the registries are read in place.
# - Results go back as DAP `output` events of category `telemetry` sent through pydevd's writer:
#   nothing is written to the program's stdout, and VS Code does not show them in the console.
# - Every failure is caught and reported as a message; nothing raises into the program's loop.
#
# Input: the global `ARGS`, a JSON object:
#   nonce   string echoed in every message
#   op      "snapshot" | "cancel" | "shutdown" | "wake"
#   where   "loop" (schedule on each loop's thread) | "here" (read now: the program is paused)
#   pausedBy  with "here": "user" (stopped in the debugger: it stays stopped) | "inspector" (paused
#           for this read only: it runs on as soon as the read is done)
#   maxItems, loopWaitMs, handlerFor (task ids whose cancellation handler to locate), id and msg (cancel)
#   threads  with "snapshot": also list the threads still running, with their stacks (after a shutdown request)
# Output: lines `@@asyncwise <nonce> <json>`; json.kind is "threads", "plan", "part", "result" or "error".
import json as _json
import sys as _sys
import threading as _threading
import time as _time

_ARGS = _json.loads(ARGS)  # noqa: F821 (injected by the backend)
_NONCE = _ARGS['nonce']
_MARK = '@@asyncwise ' + _NONCE + ' '


def _emit(payload):
    text = _MARK + _json.dumps(payload, separators=(',', ':'), default=str) + '\n'
    try:
        from _pydevd_bundle.pydevd_constants import get_global_debugger
        from _pydevd_bundle.pydevd_comm_constants import CMD_WRITE_TO_CONSOLE
        from _pydevd_bundle.pydevd_net_command import NetCommand
        from _pydevd_bundle._debug_adapter.pydevd_schema import OutputEvent, OutputEventBody
        py_db = get_global_debugger()
        if py_db is not None and py_db.writer is not None:
            event = OutputEvent(OutputEventBody(text, category='telemetry'))
            py_db.writer.add_command(NetCommand(CMD_WRITE_TO_CONSOLE, 0, event, is_json=True))
            return
    except Exception:
        pass
    # Not debugpy's pydevd: the documented fallback channel, the program's stdout (forwarded as output events).
    _sys.__stdout__.write(text)
    _sys.__stdout__.flush()


def _registries():
    """Every task asyncio's registries hold (3.8-3.11: _all_tasks; 3.12-3.13: _scheduled + _eager; 3.14: foreign tasks only).

    Never imports asyncio: in a program that has not (yet) imported it there is no loop to read, and an
    import from this thread racing the program's own can leave the package half-initialised for good
    (every later `import asyncio` fails with NameError: name 'base_events' is not defined).
    """
    t = _sys.modules.get('asyncio.tasks')
    if t is None:
        return []
    found = []
    for name in ('_scheduled_tasks', '_all_tasks', '_eager_tasks'):
        registry = getattr(t, name, None)
        if registry is None or callable(registry):
            continue
        for _attempt in range(10):
            try:
                found.extend(list(registry))
                break
            except RuntimeError:  # a WeakSet changed size while another thread iterated it
                continue
    seen = set()
    unique = []
    for task in found:
        if id(task) not in seen:
            seen.add(id(task))
            unique.append(task)
    return unique


def _loops_from_threads():
    """Running loops seen on any thread's stack (run_forever / _run_once frames): covers loops with no task yet."""
    events = _sys.modules.get('asyncio.events')
    abstract_loop = getattr(events, 'AbstractEventLoop', None)
    loops = []
    if abstract_loop is None:  # asyncio not imported (or not yet whole): no loop; never import it here
        return loops
    try:
        frames = _sys._current_frames()
    except Exception:
        return loops
    for frame in frames.values():
        depth = 0
        while frame is not None and depth < 400:
            depth += 1
            if frame.f_code.co_name in ('run_forever', '_run_once'):
                candidate = frame.f_locals.get('self')
                if isinstance(candidate, abstract_loop) and candidate not in loops:
                    loops.append(candidate)
            frame = frame.f_back
    return loops


def _running_loops(tasks):
    loops = []
    for task in tasks:
        try:
            loop = task.get_loop()
        except Exception:
            loop = getattr(task, '_loop', None)
        if loop is not None and loop not in loops:
            loops.append(loop)
    if not loops:  # no task yet (or 3.14+, no registries): find loops on the threads' stacks
        loops = _loops_from_threads()
    return [loop for loop in loops if loop.is_running() and not loop.is_closed()]


def _stdlib_dirs():
    import sysconfig
    dirs = set()
    for key in ('stdlib', 'platstdlib', 'purelib', 'platlib'):
        try:
            dirs.add(sysconfig.get_paths()[key])
        except Exception:
            pass
    return tuple(d.rstrip('/\\') + '/' for d in dirs if d)


_LIBRARY_DIRS = _stdlib_dirs()


def _is_user_file(path):
    if not path or path.startswith('<'):
        return False
    if 'site-packages' in path or 'dist-packages' in path:
        return False
    # The debugger's own code wherever it is installed (a PYTHONPATH entry, a vendored copy): its
    # thread wrappers sit on every thread's stack and are never what the user looks for.
    normalized = path.replace('\\', '/')
    if '/debugpy/' in normalized or '/pydevd/' in normalized or '/_pydevd_bundle/' in normalized or '/_pydev_bundle/' in normalized:
        return False
    return not path.startswith(_LIBRARY_DIRS)


def _qualname(frame):
    """`Queue.get`, not `get`: co_qualname on 3.11+; before, the class of the frame's `self`."""
    code = frame.f_code
    qualname = getattr(code, 'co_qualname', None)
    if qualname is not None:
        return qualname
    if code.co_argcount and code.co_varnames[0] == 'self':
        try:
            owner = frame.f_locals.get('self')
            if owner is not None:
                for cls in type(owner).__mro__:  # the class that defines this code, not the instance's
                    function = cls.__dict__.get(code.co_name)
                    if getattr(function, '__code__', None) is code:
                        return cls.__name__ + '.' + code.co_name
                return type(owner).__name__ + '.' + code.co_name
        except Exception:
            pass
    return code.co_name


def _location(code, line, qualname):
    return {'file': code.co_filename, 'line': line, 'function': qualname}


def _is_task(obj):
    return hasattr(obj, 'get_coro') and hasattr(obj, 'cancel') and hasattr(obj, '_fut_waiter')


def _task_id(task):
    return 'task:' + hex(id(task))


def _task_name(task):
    try:
        return task.get_name()  # 3.8+
    except Exception:
        return 'Task-' + hex(id(task))


# Library coroutines that name what a task waits on, by qualname of the innermost library frame.
_WAIT_NAMES = {
    'Queue.get': 'Queue.get', 'Queue.put': 'Queue.put', 'Queue.join': 'Queue.join',
    'Event.wait': 'Event.wait', 'Lock.acquire': 'Lock.acquire', 'Condition.wait': 'Condition.wait',
    'Condition.wait_for': 'Condition.wait_for', 'Semaphore.acquire': 'Semaphore.acquire',
    'BoundedSemaphore.acquire': 'Semaphore.acquire', 'Barrier.wait': 'Barrier.wait',
    'sleep': 'asyncio.sleep', 'wait_for': 'asyncio.wait_for', 'wait': 'asyncio.wait', '_wait': 'asyncio.wait',
    'as_completed': 'asyncio.as_completed', 'StreamReader.read': 'StreamReader.read',
    'StreamReader.readline': 'StreamReader.readline', 'StreamReader.readexactly': 'StreamReader.readexactly',
    'StreamReader.readuntil': 'StreamReader.readuntil', 'StreamReader._wait_for_data': 'StreamReader read',
    'StreamWriter.drain': 'StreamWriter.drain', 'TaskGroup.__aexit__': 'TaskGroup (children)',
    'TaskGroup._aexit': 'TaskGroup (children)', 'Timeout.__aexit__': 'asyncio.timeout',
}


def _timers_by_future(loop):
    """TimerHandles keyed by the id of the future they will resolve (asyncio.sleep's wake-up)."""
    timers = {}
    for handle in list(getattr(loop, '_scheduled', ()) or ()):
        args = getattr(handle, '_args', None)
        if args:
            timers[id(args[0])] = handle
    return timers


_TREES = {}


def _module_tree(path):
    if path in _TREES:
        return _TREES[path]
    tree = None
    try:
        import ast
        import linecache
        lines = linecache.getlines(path)
        if lines:
            tree = ast.parse(''.join(lines), path)
    except Exception:
        tree = None
    _TREES[path] = tree
    return tree


def _catches_cancellation(handler):
    import ast
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for node in names:
        name = node.attr if isinstance(node, ast.Attribute) else getattr(node, 'id', '')
        if name in ('CancelledError', 'BaseException'):
            return True
    return False


def _reraises(handler):
    import ast
    for node in handler.body:
        if isinstance(node, ast.Raise):
            return True
    return False


def _cancellation_handler(frames):
    """The `except` clause that catches a CancelledError thrown at the innermost frame and does not re-raise
    it: in the innermost user frame whose try block covers its await, or further out the await chain."""
    import ast
    try_types = tuple(t for t in (getattr(ast, 'Try', None), getattr(ast, 'TryStar', None)) if t is not None)
    for code, line, qualname in reversed(frames):
        path = code.co_filename
        if not _is_user_file(path):
            continue
        tree = _module_tree(path)
        if tree is None:
            continue
        first = code.co_firstlineno
        best = None
        for node in ast.walk(tree):
            if not isinstance(node, try_types) or node.lineno < first:
                continue
            end = getattr(node, 'end_lineno', None)
            if end is None or not (node.lineno <= line <= end):
                continue
            for handler in node.handlers:
                if not _catches_cancellation(handler) or _reraises(handler):
                    continue
                inside_body = node.body and node.body[0].lineno <= line <= (node.body[-1].end_lineno or line)
                inside_handler = handler.lineno <= line <= (handler.end_lineno or handler.lineno)
                if (inside_body or inside_handler) and (best is None or node.lineno >= best[0]):
                    best = (node.lineno, handler)
                    break
        if best is not None:
            handler = best[1]
            return {'file': path, 'line': handler.lineno, 'column': handler.col_offset + 1,
                    'function': qualname}
        # No handler here swallows it: the CancelledError propagates to the awaiting frame (the
        # demo's flusher() catches what its flush_once() await raises).
    return None


def _format_task(raw, handler_for):
    """The model's item for one task, from what _collect_loop read; runs off the loop thread when it can."""
    task = raw['task']
    frames = raw['frames']
    stack = [_location(code, line, qualname) for code, line, qualname in reversed(frames)]  # innermost first
    user = next((loc for loc in stack if _is_user_file(loc['file'])), None)
    item = {
        'id': _task_id(task),
        'kind': 'task',
        'label': raw['name'],
        'stack': stack,
        'cancellable': True,
        'details': {},
    }
    if user is not None:
        item['location'] = user
    elif stack:
        item['location'] = stack[0]
    coro = raw['coro']
    code = getattr(coro, 'cr_code', None) or getattr(coro, 'gi_code', None)
    if frames:
        item['details']['coroutine'] = frames[0][2]
    elif code is not None:
        item['details']['coroutine'] = getattr(code, 'co_qualname', code.co_name)
    cancelling = raw['cancelling']
    if cancelling is not None:
        item['cancelling'] = cancelling
    must_cancel = raw['mustCancel']

    awaits = []
    fut = raw['fut']
    if raw['current']:
        state = 'running'
        # The task the thread was executing when it stopped. Under the inspector's own brief pause the
        # program runs on at once, so "now" would be false by the time anyone reads it.
        if _ARGS.get('pausedBy') == 'inspector':
            waits_on = 'was running when the deep snapshot paused the program'
        else:
            waits_on = 'running (the program is stopped here)'
    elif fut is None:
        state = 'ready'
        waits_on = 'scheduled to run'
    else:
        state = 'pending'
        if 'futName' in raw:
            awaits.append(_task_id(fut))
            waits_on = 'task "%s"' % raw['futName']
        elif raw['children'] is not None:
            children = raw['children']
            for child, _done in children:
                if _is_task(child):
                    awaits.append(_task_id(child))
            pending = sum(1 for _child, done in children if not done)
            waits_on = 'gather (%d of %d pending)' % (pending, len(children))
        else:
            library = None
            for code, _line, name in reversed(frames):  # innermost first
                if name in _WAIT_NAMES and not _is_user_file(code.co_filename):
                    library = _WAIT_NAMES[name]
                    break
            waits_on = library or 'a future'
            if raw['left'] is not None:
                waits_on += ' (%.1f s left)' % raw['left']
                item['details']['wakesInMs'] = round(raw['left'] * 1000)
    if (cancelling or must_cancel) and state != 'running':
        state = 'cancelling'
    item['state'] = state
    item['waitsOn'] = waits_on
    if awaits:
        item['awaits'] = awaits
    if item['id'] in handler_for or cancelling or must_cancel:
        handler = _cancellation_handler(frames)
        if handler is not None:
            item['cancellationSwallowedAt'] = handler
    source_tb = raw['sourceTraceback']  # asyncio debug mode only
    if source_tb:
        last = source_tb[-1]
        item['details']['createdAt'] = '%s:%s' % (last[0], last[1])
    return item


def _current_task(loop):
    try:
        t = _sys.modules.get('asyncio.tasks')
        current = getattr(t, '_current_tasks', None)
        if current is not None:
            return current.get(loop)
    except Exception:
        pass
    return None


def _collect_loop(loop, tasks, max_items):
    """On the loop's thread (or with the program paused): read every pending task of `loop`.

    This is the only part that stalls the loop, so it is one flat loop: under a debugger every
    Python-level call costs a trace event, builtins do not.
    """
    started = _time.perf_counter()
    if tasks is None:  # registries unavailable (3.14+): ask asyncio on the loop's own thread
        import asyncio
        mine = list(asyncio.all_tasks(loop))
    else:
        mine = [t for t in tasks if _loop_of(t) is loop]
    current = _current_task(loop)
    timers = _timers_by_future(loop)
    has_qualname = hasattr(_collect_loop.__code__, 'co_qualname')  # 3.11+
    raws = []
    total = 0
    for task in mine:
        if task.done():
            continue
        total += 1
        if len(raws) >= max_items:
            continue
        try:
            coro = task.get_coro()
            frames = []  # (code, line, qualname) of the await chain, outermost first
            obj = coro
            depth = 0
            while obj is not None and depth < 256:
                depth += 1
                frame = getattr(obj, 'cr_frame', None)
                if frame is None:
                    frame = getattr(obj, 'gi_frame', None)
                    if frame is None:
                        frame = getattr(obj, 'ag_frame', None)
                        if frame is None:
                            break
                code = frame.f_code
                frames.append((code, frame.f_lineno, code.co_qualname if has_qualname else _qualname(frame)))
                nxt = getattr(obj, 'cr_await', None)
                if nxt is None:
                    nxt = getattr(obj, 'gi_yieldfrom', None)
                    if nxt is None:
                        nxt = getattr(obj, 'ag_await', None)
                obj = nxt
            fut = getattr(task, '_fut_waiter', None)
            cancelling = getattr(task, 'cancelling', None)
            raw = {
                'task': task, 'name': task.get_name(), 'coro': coro, 'frames': frames,
                'cancelling': cancelling() if cancelling is not None else None,
                'mustCancel': bool(getattr(task, '_must_cancel', False)),
                'current': task is current, 'fut': fut, 'children': None, 'left': None,
                'sourceTraceback': getattr(task, '_source_traceback', None),
            }
            if fut is not None:
                if hasattr(fut, 'get_coro') and hasattr(fut, '_fut_waiter'):
                    raw['futName'] = fut.get_name()
                elif type(fut).__name__ == '_GatheringFuture':
                    children = []
                    for child in list(getattr(fut, '_children', ()) or ()):
                        children.append((child, child.done()))
                    raw['children'] = children
                else:
                    timer = timers.get(id(fut))
                    if timer is not None:
                        raw['left'] = max(0.0, timer.when() - loop.time())
            raws.append(raw)
        except Exception as e:  # one odd task must not lose the others
            raws.append({'task': task, 'error': repr(e)})
    return {'total': total, 'raws': raws, 'loopMs': (_time.perf_counter() - started) * 1000,
            'loopThread': _threading.current_thread().name}


def _emit_part(collected, index, count, handler_for):
    started = _time.perf_counter()
    items = []
    for raw in collected['raws']:
        try:
            if 'error' in raw:
                raise RuntimeError(raw['error'])
            items.append(_format_task(raw, handler_for))
        except Exception as e:
            task = raw['task']
            items.append({'id': _task_id(task), 'kind': 'task', 'label': _task_name(task),
                          'state': 'unknown', 'details': {'error': repr(e)}})
    _emit({'kind': 'part', 'loop': index, 'of': count, 'total': collected['total'], 'items': items,
           'loopThread': collected['loopThread'], 'workMs': collected['loopMs'],
           'formatMs': (_time.perf_counter() - started) * 1000})


def _snapshot_on_loop(loop, tasks, index, count, max_items, handler_for):
    """The whole snapshot as a loop callback: used when the evaluating thread is the loop's own thread."""
    try:
        _emit_part(_collect_loop(loop, tasks, max_items), index, count, handler_for)
    except Exception as e:
        _emit({'kind': 'error', 'loop': index, 'message': 'snapshot failed: %r' % (e,)})


def _snapshot_via_loop(loop, tasks, index, count, max_items, handler_for, wait_s):
    """Reads on the loop thread, formats and sends from this (debugger) thread: the loop stalls only for the reading."""
    box = {}
    done = _threading.Event()

    def collect():
        if box.get('abandoned'):
            return  # the evaluating thread gave up: do nothing at all
        try:
            box['collected'] = _collect_loop(loop, tasks, max_items)
        except Exception as e:
            box['error'] = e
        finally:
            done.set()

    loop.call_soon_threadsafe(collect)
    if not done.wait(wait_s):
        box['abandoned'] = True
        _emit({'kind': 'error', 'loop': index, 'message': 'the event loop did not run the snapshot within %d ms: '
               'it is blocked by synchronous code or busy (a tier 2 snapshot pauses it instead), '
               'or the program is stopped and the inspector was not told (PythonBackend option stoppedThreadId)' % (wait_s * 1000)})
        return
    if 'error' in box:
        _emit({'kind': 'error', 'loop': index, 'message': 'snapshot failed: %r' % (box['error'],)})
        return
    _emit_part(box['collected'], index, count, handler_for)


def _loop_of(task):
    try:
        return task.get_loop()
    except Exception:
        return getattr(task, '_loop', None)


def _cancel(task, msg):
    if msg is not None and _sys.version_info >= (3, 9):
        task.cancel(msg)
    else:
        task.cancel()


def _shutdown_loop(loop, msg, wait_s):
    """Cancels every pending task of `loop` on its own thread; returns their ids, or None if it did not run in time."""
    box = {}
    done = _threading.Event()

    def run():
        if box.get('abandoned'):
            return
        try:
            import asyncio
            ids = []
            for task in asyncio.all_tasks(loop):
                if not task.done():
                    _cancel(task, msg)
                    ids.append(_task_id(task))
            box['ids'] = ids
        except Exception as e:
            box['error'] = e
        finally:
            done.set()

    if getattr(loop, '_thread_id', None) == _threading.get_ident():
        run()  # evaluated on the loop's own thread: it is ours for now
    else:
        loop.call_soon_threadsafe(run)
        if not done.wait(wait_s):
            box['abandoned'] = True
            return None
    if 'error' in box:
        raise box['error']
    return box['ids']


def _thread_items(loops):
    """The threads other than the loops' own and the debugger's, each with its stack: after a shutdown
    request, the ones that keep the interpreter from exiting. Read from this thread with
    sys._current_frames(): a thread's frames are only read, never run.

    What blocks exit: the interpreter joins every non-daemon thread at exit (`threading._shutdown`), and
    executor workers are joined too, by `asyncio.run()`'s `shutdown_default_executor` (3.9+; for ever
    before 3.12) and at interpreter exit by concurrent.futures (daemon threads on 3.8, joined all the same). An idle worker (waiting
    on its queue, no user frame) is told to stop then, so it does not block; one running user code does.
    """
    frames = _sys._current_frames()
    me = _threading.get_ident()
    loop_threads = set(getattr(loop, '_thread_id', None) for loop in loops)
    items = []
    for thread in _threading.enumerate():
        ident = thread.ident
        if ident is None or ident == me or ident in loop_threads or not thread.is_alive():
            continue
        if getattr(thread, 'is_pydev_daemon_thread', False) or thread.name.startswith(('pydevd.', 'ptvsd.', 'debugpy.')):
            continue
        stack = []  # innermost first
        frame = frames.get(ident)
        while frame is not None and len(stack) < 64:
            stack.append(_location(frame.f_code, frame.f_lineno, _qualname(frame)))
            frame = frame.f_back
        user = next((loc for loc in stack if _is_user_file(loc['file'])), None)
        worker = any(loc['function'] == '_worker' and loc['file'].replace('\\', '/').endswith('concurrent/futures/thread.py') for loc in stack)
        # Executor workers block whether daemon (3.8) or not: concurrent.futures joins them at exit.
        blocks = user is not None and (worker or not thread.daemon)
        if worker:
            state = 'running' if user is not None else 'idle'
            waits_on = 'executor worker running user code' if user is not None else 'idle executor worker (stops at exit)'
        elif thread is _threading.main_thread():
            state = 'waiting'
            waits_on = 'main thread: ' + (stack[0]['function'] if stack else 'not running Python code')
        else:
            state = 'running'
            waits_on = ('daemon thread (does not block exit)' if thread.daemon else 'non-daemon thread (joined at exit)')
        item = {'id': 'thread:%d' % ident, 'kind': 'thread', 'label': thread.name, 'state': state,
                'waitsOn': waits_on, 'stack': stack,
                'details': {'daemon': bool(thread.daemon), 'executorWorker': worker}}
        location = user or (stack[0] if stack else None)
        if location is not None:
            item['location'] = location
        if blocks:
            item['blocksExit'] = True
            item['rule'] = 'AW305'
        items.append(item)
    return items


def _main():
    op = _ARGS.get('op', 'snapshot')
    version = '%d.%d.%d' % _sys.version_info[:3]
    tasks = _registries()
    # 3.14 keeps native tasks in per-thread lists, not in the registries: ask asyncio.all_tasks(loop)
    # on the loop's thread instead, and find loops on the threads' stacks too.
    registries = _sys.version_info < (3, 14)
    loops = _running_loops(tasks)
    if not registries:
        for loop in _loops_from_threads():
            if loop not in loops and loop.is_running() and not loop.is_closed():
                loops.append(loop)
    if op == 'wake':
        for loop in loops:
            loop.call_soon_threadsafe(lambda: None)
        _emit({'kind': 'result', 'loops': len(loops)})
        return
    if op == 'shutdown':
        # What asyncio.run() does once its main coroutine is done or interrupted (runners._cancel_all_tasks):
        # every pending task of the loop, `asyncio.all_tasks(loop)` on the loop's own thread, is
        # cancelled; then the loop runs until they all finish.
        msg = _ARGS.get('msg')
        wait_s = float(_ARGS.get('loopWaitMs', 3000)) / 1000
        cancelled = []
        for loop in loops:
            ids = None if _ARGS.get('where') == 'here' else _shutdown_loop(loop, msg, wait_s)
            if ids is None:  # paused, or the loop is blocked: cancel what the registries know, when it runs again
                ids = []
                for task in tasks:
                    if _loop_of(task) is loop and not task.done():
                        loop.call_soon_threadsafe(_cancel, task, msg)
                        ids.append(_task_id(task))
            cancelled.extend(ids)
        _emit({'kind': 'result', 'ok': True, 'cancelled': cancelled, 'loops': len(loops)})
        return
    if op == 'cancel':
        target = _ARGS.get('id')
        for task in tasks:
            if _task_id(task) == target:
                if task.done():
                    _emit({'kind': 'result', 'ok': False, 'message': 'the task has already finished'})
                    return
                msg = _ARGS.get('msg')
                loop = _loop_of(task)
                if msg is not None and _sys.version_info >= (3, 9):
                    loop.call_soon_threadsafe(task.cancel, msg)
                else:
                    loop.call_soon_threadsafe(task.cancel)
                _emit({'kind': 'result', 'ok': True})
                return
        _emit({'kind': 'result', 'ok': False, 'message': 'no such task (it may have finished)'})
        return
    max_items = int(_ARGS.get('maxItems', 10000))
    handler_for = set(_ARGS.get('handlerFor') or ())
    here = _ARGS.get('where') == 'here'
    if _ARGS.get('threads'):
        try:
            _emit({'kind': 'threads', 'items': _thread_items(loops)})
        except Exception as e:
            _emit({'kind': 'threads', 'items': [], 'error': 'threads unreadable: %r' % (e,)})
    _emit({'kind': 'plan', 'loops': len(loops), 'version': version, 'here': here,
           'registries': registries})
    known = tasks if registries else None
    wait_s = float(_ARGS.get('loopWaitMs', 3000)) / 1000
    for index, loop in enumerate(loops):
        if here:
            _snapshot_on_loop(loop, known, index, len(loops), max_items, handler_for)
        elif getattr(loop, '_thread_id', None) == _threading.get_ident():
            # Evaluated on the loop's own thread (pydevd may run '*' commands there): waiting would deadlock.
            loop.call_soon_threadsafe(_snapshot_on_loop, loop, known, index, len(loops), max_items, handler_for)
        else:
            _snapshot_via_loop(loop, known, index, len(loops), max_items, handler_for, wait_s)


try:
    _main()
except Exception as _e:
    _emit({'kind': 'error', 'message': 'inspector script failed: %r' % (_e,)})
