"""Drives DawDreamer (a JUCE host) through one scenario and prints its findings as JSON.

The Rust tests in tests/tests/real_host.rs run this once with a plugin loaded directly and
once through a vstbridge proxy, and compare. Every scenario runs on the calling thread, as
DawDreamer does: `make_plugin_processor` already runs warm-up blocks here, so this thread is
the one that processes audio, and a parameter set on it is set "on the audio thread" with no
block following.

    render PLUGIN OUT.f32 [--block N] [--seconds S] [--set I=V ...] [--notes]
    params PLUGIN STATE_OUT [--set I=V ...]
    load-state PLUGIN STATE_IN
    lifecycle PLUGIN COUNT
    stall PLUGIN
    bench PLUGIN SECONDS
    faults PLUGIN STATE_PLUGIN COUNT SEED [--state-bytes N] [--kinds K,K]
    editor-crash PLUGIN
    close-windows PID SECONDS       (a helper the editor scenario starts)
"""

import argparse
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import time

import dawdreamer
import numpy as np

SAMPLE_RATE = 44100

# A bare Xvfb has no window manager, so the atoms JUCE looks up without creating them do
# not exist and its windows die with BadAtom (load_state opens the editor). Interning them
# once (only_if_exists = False) creates them for the whole server.
WINDOW_MANAGER_ATOMS = [
    "WM_PROTOCOLS", "WM_DELETE_WINDOW", "WM_TAKE_FOCUS", "WM_STATE", "_NET_WM_STATE",
    "_NET_WM_STATE_HIDDEN", "_NET_WM_STATE_FULLSCREEN", "_NET_WM_STATE_SKIP_TASKBAR",
    "_NET_WM_STATE_ABOVE", "_NET_WM_WINDOW_TYPE", "_NET_WM_WINDOW_TYPE_NORMAL",
    "_NET_WM_WINDOW_TYPE_DIALOG", "_NET_WM_WINDOW_TYPE_COMBO", "_NET_WM_WINDOW_TYPE_MENU",
    "_NET_WM_WINDOW_TYPE_POPUP_MENU", "_NET_WM_WINDOW_TYPE_TOOLTIP", "_NET_WM_NAME",
    "_NET_WM_ICON", "_NET_WM_PID", "_NET_WM_PING", "_NET_FRAME_EXTENTS", "_NET_ACTIVE_WINDOW",
    "_NET_SUPPORTED", "_NET_WM_USER_TIME", "_MOTIF_WM_HINTS", "_XEMBED", "_XEMBED_INFO",
    "UTF8_STRING", "XdndAware", "XdndEnter", "XdndLeave", "XdndPosition", "XdndStatus",
    "XdndDrop", "XdndFinished", "XdndSelection", "XdndTypeList", "XdndActionList",
    "XdndActionDescription", "XdndActionCopy", "XdndActionPrivate", "CLIPBOARD", "TARGETS",
]


def intern_window_manager_atoms():
    if not os.environ.get("DISPLAY"):
        return
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XFlush.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    if not display:
        raise SystemExit(f"cannot open X display {os.environ['DISPLAY']}")
    for name in WINDOW_MANAGER_ATOMS:
        x11.XInternAtom(display, name.encode(), 0)
    x11.XFlush(display)
    # Kept open: the atoms live as long as the server, which runs with -noreset.


def parse_sets(values):
    changes = []
    for item in values or []:
        index, value = item.split("=")
        changes.append((int(index), float(value)))
    return changes


def input_signal(channels, frames):
    """A 330 Hz sine burst at 0.6 for the first half, then silence (a tail to listen to)."""
    t = np.arange(frames) / SAMPLE_RATE
    burst = (0.6 * np.sin(2 * np.pi * 330.0 * t) * (np.arange(frames) < frames // 2)).astype(np.float32)
    return np.stack([burst] * max(channels, 1))


def render(args):
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, args.block)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    for index, value in parse_sets(args.set):
        plugin.set_parameter(index, value)
    frames = int(args.seconds * SAMPLE_RATE)
    inputs = plugin.get_num_input_channels()
    if args.notes:
        for i, note in enumerate([60, 64, 67, 72]):
            plugin.add_midi_note(note, 100, 0.1 + 0.2 * i, 0.3)
    if inputs > 0:
        source = engine.make_playback_processor("source", input_signal(inputs, frames))
        engine.load_graph([(source, []), (plugin, ["source"])])
    else:
        engine.load_graph([(plugin, [])])
    started = time.perf_counter()
    engine.render(args.seconds)
    seconds = time.perf_counter() - started
    audio = engine.get_audio()
    # Channel after channel, little-endian f32: what the Rust side reads.
    audio.astype("<f4").tofile(args.out)
    print(json.dumps({
        "inputs": inputs,
        "outputs": plugin.get_num_output_channels(),
        "shape": list(audio.shape),
        "render_seconds": seconds,
    }))


def describe(plugin):
    count = plugin.get_plugin_parameter_size()
    return {
        "count": count,
        "names": [plugin.get_parameter_name(i) for i in range(count)],
        "texts": [plugin.get_parameter_text(i) for i in range(count)],
        "values": [plugin.get_parameter(i) for i in range(count)],
    }


def params(args):
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 64)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    before = describe(plugin)
    after_set = []
    for index, value in parse_sets(args.set):
        # Set on the processing thread with no block after it, then read at once.
        plugin.set_parameter(index, value)
        after_set.append({
            "index": index,
            "value": plugin.get_parameter(index),
            "text": plugin.get_parameter_text(index),
        })
    plugin.save_state(args.state_out)
    print(json.dumps({"before": before, "after_set": after_set, "after": describe(plugin)}))


def load_state(args):
    intern_window_manager_atoms()
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 64)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    plugin.load_state(args.state_in)
    print(json.dumps(describe(plugin)))


def lifecycle(args):
    """Creates, plays and destroys instances one after another, timing load and close."""
    loads, closes = [], []
    for _ in range(args.count):
        started = time.perf_counter()
        engine = dawdreamer.RenderEngine(SAMPLE_RATE, 64)
        plugin = engine.make_plugin_processor("plugin", args.plugin)
        loads.append(time.perf_counter() - started)
        inputs = plugin.get_num_input_channels()
        source = None
        if inputs > 0:
            source = engine.make_playback_processor("source", input_signal(inputs, 2048))
            engine.load_graph([(source, []), (plugin, ["source"])])
        else:
            engine.load_graph([(plugin, [])])
        engine.render(2048 / SAMPLE_RATE)
        started = time.perf_counter()
        # The engine and the names hold the processor; dropping them closes the plugin.
        plugin = source = engine = None
        gc.collect()
        closes.append(time.perf_counter() - started)
    print(json.dumps({"created": args.count, "load_seconds": loads, "close_seconds": closes}))


def server_children():
    """The bridge servers this process started (the proxy spawns them as our children, a
    Windows server as the Wine process that runs it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            # A Windows server under Wine is named by its .exe (its comm is Wine's).
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                name = os.path.basename(cmdline.read().split(b"\0")[0].decode(errors="replace"))
        except OSError:
            continue
        # fields[0] is the state, fields[1] the parent's pid.
        if int(fields[1]) == os.getpid() and name.startswith("vstbridge-serv") and fields[0] != "Z":
            found.append(int(entry))
    return found


def playing_with_one_server(path):
    """Loads the plugin at `path` playing a source, renders 0.2 s and finds its one server;
    returns the engine, the plugin, the source (held, as the engine needs it) and the
    server's pid."""
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 512)
    plugin = engine.make_plugin_processor("plugin", path)
    inputs = plugin.get_num_input_channels()
    source = engine.make_playback_processor("source", input_signal(inputs, SAMPLE_RATE * 4))
    engine.load_graph([(source, []), (plugin, ["source"])])
    engine.render(0.2)
    servers = server_children()
    if len(servers) != 1:
        raise SystemExit(f"expected one server, found {servers}")
    return engine, plugin, source, servers[0]


def stall(args):
    """Stops the server (SIGSTOP) and times what the host does next; then lets it go."""
    import signal
    engine, plugin, _source, stopped = playing_with_one_server(args.plugin)
    os.kill(stopped, signal.SIGSTOP)
    timings = {}
    started = time.perf_counter()
    plugin.get_parameter_text(0)
    timings["text_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    plugin.get_parameters_description()
    timings["description_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    engine.render(1.0)
    timings["render_seconds"] = time.perf_counter() - started
    try:
        os.kill(stopped, signal.SIGCONT)
    except ProcessLookupError:
        pass
    timings["restarted"], timings["peak_after"] = play_after_restart(engine, stopped)
    print(json.dumps(timings))


def kill_mid_render(args):
    """Kills the server (SIGKILL, from another process, so it lands while the engine is
    inside a render) and times every render call around it; then plays after the restart."""
    import subprocess
    engine, _plugin, _source, killed = playing_with_one_server(args.plugin)
    killer = subprocess.Popen(["sh", "-c", f"sleep 0.3; kill -9 {killed}; cat /proc/uptime"],
                              stdout=subprocess.PIPE, text=True)
    calls = []
    started = time.monotonic()
    while time.monotonic() - started < 1.5:
        begun = time.monotonic()
        engine.render(2.0)
        calls.append((begun, time.monotonic()))
    killer.wait()
    # /proc/uptime and CLOCK_MONOTONIC (time.monotonic) count from boot alike on Linux.
    kill_time = float(killer.stdout.read().split()[0])
    inside = any(begun <= kill_time <= ended for begun, ended in calls)
    restarted, peak_after = play_after_restart(engine, killed)
    print(json.dumps({
        "render_calls": len(calls),
        "slowest_render_seconds": max(ended - begun for begun, ended in calls),
        "killed_inside_a_render": inside,
        "restarted": restarted,
        "peak_after": peak_after,
    }))


def hold(args):
    """Loads PLUGIN, plays a little, prints this process's id and its servers, and waits to
    be killed."""
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 512)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    inputs = plugin.get_num_input_channels()
    source = engine.make_playback_processor("source", input_signal(inputs, SAMPLE_RATE))
    engine.load_graph([(source, []), (plugin, ["source"])])
    engine.render(0.1)
    print(json.dumps({"pid": os.getpid(), "servers": server_children()}))
    sys.stdout.flush()
    time.sleep(120)


def play_after_restart(engine, replaced):
    """Waits up to 15 s for a server other than `replaced`, then renders 1 s; returns
    whether one came and the peak of what was rendered."""
    deadline = time.monotonic() + 15
    restarted = False
    while time.monotonic() < deadline and not restarted:
        restarted = any(pid != replaced for pid in server_children())
        time.sleep(0.05)
    time.sleep(0.5)
    engine.render(1.0)
    return restarted, float(np.abs(engine.get_audio()).max())


def editor_crash(args):
    """Opens PLUGIN's editor, kills the server 0.3 s later with the editor on screen, and
    closes the window after 1 s, counting first the windows embedded two levels down (the
    editor reopened in the proxy's window by the restarted server); then renders again."""
    import signal
    intern_window_manager_atoms()
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 512)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    source = engine.make_playback_processor(
        "source", input_signal(plugin.get_num_input_channels(), SAMPLE_RATE * 2))
    engine.load_graph([(source, []), (plugin, ["source"])])
    engine.render(0.1)
    servers = server_children()
    if len(servers) != 1:
        raise SystemExit(f"expected one server, found {servers}")
    killed = servers[0]
    closer = close_editor_after(1.0, report=True)
    import threading
    threading.Timer(0.3, lambda: os.kill(killed, signal.SIGKILL)).start()
    started = time.perf_counter()
    plugin.open_editor()
    editor_seconds = time.perf_counter() - started
    seen_by_closer = json.loads(closer.communicate()[0].splitlines()[0])
    restarted, peak_after = play_after_restart(engine, killed)
    print(json.dumps({
        "editor_seconds": editor_seconds,
        "embedded_before_closing": seen_by_closer["grandchildren"],
        "restarted": restarted,
        "peak_after": peak_after,
    }))


def bench(args):
    """Renders SECONDS of a sine through PLUGIN at 64 frames, back to back on this unpinned
    thread, three times; prints the time per block of each run."""
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 64)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    frames = int(args.seconds * SAMPLE_RATE)
    source = engine.make_playback_processor("source", input_signal(plugin.get_num_input_channels(), frames))
    engine.load_graph([(source, []), (plugin, ["source"])])
    engine.render(args.seconds / 4)
    blocks = frames / 64
    per_block = []
    for _ in range(3):
        started = time.perf_counter()
        engine.render(args.seconds)
        per_block.append((time.perf_counter() - started) / blocks)
    print(json.dumps({"seconds_per_block": per_block}))


def close_editor_after(seconds, report=False):
    """Starts a helper process that, after `seconds`, asks every top-level window of this
    process to close (WM_DELETE_WINDOW, as a window manager's close button does); JUCE's
    `open_editor` runs its message loop until then. With `report`, the helper first prints
    (to its piped stdout) how many windows lie two levels below those: an editor embedded
    in the proxy's window inside JUCE's."""
    import subprocess
    return subprocess.Popen(
        [sys.executable, __file__, "close-windows", str(os.getpid()), str(seconds)],
        stdout=subprocess.PIPE if report else None, text=True)


def close_windows(args):
    """Sends WM_DELETE_WINDOW to the top-level windows of process PID after SECONDS (once
    they are there), again every 50 ms, until that process has had none for a second; kills
    it if that takes 30 s."""
    x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XQueryTree.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)), ctypes.POINTER(ctypes.c_uint)]
    x11.XGetWindowProperty.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long, ctypes.c_int,
        ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p)]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XFree.argtypes = [ctypes.c_void_p]

    class ClientMessage(ctypes.Structure):
        # XClientMessageEvent, padded to the size of an XEvent (24 longs).
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                    ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                    ("data", ctypes.c_long * 5), ("padding", ctypes.c_long * 12)]

    display = x11.XOpenDisplay(None)
    if not display:
        raise SystemExit("cannot open the X display")
    root = x11.XDefaultRootWindow(display)
    pid_atom = x11.XInternAtom(display, b"_NET_WM_PID", 0)
    protocols = x11.XInternAtom(display, b"WM_PROTOCOLS", 0)
    delete = x11.XInternAtom(display, b"WM_DELETE_WINDOW", 0)

    def children_of(window):
        parent, unused = ctypes.c_ulong(), ctypes.c_ulong()
        children, count = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not x11.XQueryTree(display, window, ctypes.byref(unused), ctypes.byref(parent),
                              ctypes.byref(children), ctypes.byref(count)):
            return []
        found = [children[i] for i in range(count.value)]
        if children:
            x11.XFree(children)
        return found

    def windows_of(pid):
        found = []
        for window in children_of(root):
            kind, bits, items, after = ctypes.c_ulong(), ctypes.c_int(), ctypes.c_ulong(), ctypes.c_ulong()
            data = ctypes.c_void_p()
            if x11.XGetWindowProperty(display, window, pid_atom, 0, 1, 0, 0, ctypes.byref(kind),
                                      ctypes.byref(bits), ctypes.byref(items), ctypes.byref(after),
                                      ctypes.byref(data)) == 0 and data.value:
                if items.value == 1 and ctypes.cast(data, ctypes.POINTER(ctypes.c_ulong))[0] == pid:
                    found.append(window)
                x11.XFree(data)
        return found

    time.sleep(args.seconds)
    deadline = time.monotonic() + 30
    seen, gone_since = False, None
    while time.monotonic() < deadline:
        windows = windows_of(args.pid)
        if not windows:
            # Closed: done once none has come back for a while (a host may put up a window
            # again while it closes one). Not open yet (a loaded machine): wait for it.
            if seen and gone_since is None:
                gone_since = time.monotonic()
            if gone_since is not None and time.monotonic() - gone_since > 1.0:
                return
            time.sleep(0.01)
            continue
        gone_since = None
        if not seen:
            grandchildren = sum(len(children_of(child)) for window in windows for child in children_of(window))
            print(json.dumps({"grandchildren": grandchildren}), flush=True)
        seen = True
        for window in windows:
            message = ClientMessage(type=33, window=window, message_type=protocols, format=32)  # ClientMessage
            message.data[0] = delete
            x11.XSendEvent(display, window, 0, 0, ctypes.byref(message))
        x11.XFlush(display)
        time.sleep(0.05)
    # A window that would not close (or never opened) would hold the host for ever: end it,
    # so the run fails instead of hanging.
    print(f"close-windows: the windows of {args.pid} did not close within 30 s", file=sys.stderr)
    os.kill(args.pid, 9)


def faults(args):
    """Stops (SIGSTOP) or kills (SIGKILL) the server at a random moment during a random kind
    of call, COUNT times; prints the worst time each kind of call took, faulted and not.

    PLUGIN is a bridged plugin with an editor; STATE_PLUGIN a bridged probe, whose state is
    then a chunk of N bytes (64 MiB). The kinds cover every call a host makes: loading (entry point, effOpen,
    sample rate, block size at 64 to 1024 frames, speaker arrangements, names), preparing
    (speaker arrangement, sample rate, block size, start of processing), rendering (mains
    off and on, process), parameter texts and descriptions, saving state (program names and
    parameters), loading state (which opens and closes the editor), the editor opened and
    closed by its window's close button, saving and loading a state chunk of STATE_PLUGIN,
    and closing (stop, mains off, effClose)."""
    import random
    import signal
    import threading
    intern_window_manager_atoms()
    # The probe reads it in the server, which inherits this process's environment.
    os.environ["VSTBRIDGE_TEST_PROBE_STATE_BYTES"] = str(args.state_bytes)
    rng = random.Random(args.seed)
    scratch = os.environ.get("TMPDIR", "/tmp")
    state = os.path.join(scratch, f"vstbridge-faults-{os.getpid()}.state")
    big_state = os.path.join(scratch, f"vstbridge-faults-{os.getpid()}.big-state")

    class Instance:
        def __init__(self, path):
            self.engine = dawdreamer.RenderEngine(SAMPLE_RATE, rng.choice([64, 256, 512, 1024]))
            self.plugin = self.engine.make_plugin_processor("plugin", path)
            self.source = None

        def prepare(self):
            if self.source is None:
                inputs = self.plugin.get_num_input_channels()
                self.source = self.engine.make_playback_processor("source", input_signal(inputs, SAMPLE_RATE))
            self.engine.load_graph([(self.source, []), (self.plugin, ["source"])])

    def drop(holder):
        holder[0] = None
        gc.collect()

    main, stateful = [None], [None]

    failed_loads = []

    def load():
        drop(main)
        started = time.perf_counter()
        try:
            main[0] = Instance(args.plugin)
        except RuntimeError as error:
            # A server that dies while loading may leave the host without an instance, as a
            # plugin that crashes in its entry point would; it must say so in time.
            failed_loads.append(str(error))
            return time.perf_counter() - started
        took = time.perf_counter() - started
        main[0].prepare()
        return took

    def current():
        """The main instance, loaded and prepared again after a close."""
        if main[0] is None:
            main[0] = Instance(args.plugin)
            main[0].prepare()
        return main[0]

    def close():
        current().engine.render(0.05)
        started = time.perf_counter()
        drop(main)
        return time.perf_counter() - started

    def editor():
        closer = close_editor_after(0.3)
        try:
            started = time.perf_counter()
            current().plugin.open_editor()
            return time.perf_counter() - started
        finally:
            closer.kill()
            closer.wait()

    def save_big_state():
        if stateful[0] is None:
            stateful[0] = Instance(args.state_plugin)
        started = time.perf_counter()
        stateful[0].plugin.save_state(big_state)
        return time.perf_counter() - started

    def load_big_state():
        if stateful[0] is None or not os.path.exists(big_state):
            save_big_state()
        started = time.perf_counter()
        stateful[0].plugin.load_preset(big_state)
        return time.perf_counter() - started

    def timed(call):
        def run():
            started = time.perf_counter()
            call()
            return time.perf_counter() - started
        return run

    def load_state():
        if not os.path.exists(state):
            current().plugin.save_state(state)
        return timed(lambda: current().plugin.load_state(state))()

    kinds = {
        "load": load,
        "prepare": timed(lambda: current().prepare()),
        "render": timed(lambda: current().engine.render(0.2)),
        "parameter text": timed(lambda: current().plugin.get_parameter_text(0)),
        "parameter description": timed(lambda: current().plugin.get_parameters_description()),
        "save state": timed(lambda: current().plugin.save_state(state)),
        "load state": load_state,
        "editor": editor,
        "save big state": save_big_state,
        "load big state": load_big_state,
        "close": close,
    }

    def real_plugin_of(proxy):
        """The file a proxy's sidecar names (what its server maps)."""
        sidecar = os.path.splitext(proxy)[0] + ".vstbridge.toml"
        with open(sidecar) as text:
            for line in text:
                if line.startswith("plugin"):
                    return os.path.basename(json.loads(line.split("=", 1)[1].strip()))
        raise SystemExit(f"{sidecar} names no plugin")

    def servers_of(library):
        """Our servers that have `library` mapped."""
        found = []
        for pid in server_children():
            try:
                with open(f"/proc/{pid}/maps") as maps:
                    if library in maps.read():
                        found.append(pid)
            except OSError:
                pass
        return found

    libraries = {"main": real_plugin_of(args.plugin), "state": real_plugin_of(args.state_plugin)}

    def wait_for_server(library, excluded):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if [pid for pid in servers_of(library) if pid not in excluded]:
                return
            time.sleep(0.02)
        raise SystemExit(f"no server of {library} came back")

    stateful[0] = Instance(args.state_plugin)
    # One unfaulted round: each kind's ordinary time, which also places the faults.
    ordinary = {kind: call() for kind, call in kinds.items()}
    # Quick kinds are repeated until the fault has struck, so that it can land inside one.
    quick = {"prepare", "render", "parameter text", "parameter description", "save state"}
    worst, faulted, hits = {}, set(), {}
    in_call = [False]
    chosen = args.kinds.split(",") if args.kinds else list(kinds)
    for _ in range(args.count):
        kind = rng.choice(chosen)
        library = libraries["state" if kind.endswith("big state") else "main"]
        if kind != "load":
            current()
            wait_for_server(library, faulted)
        # Loading faults the server the load starts, not the one it replaces.
        before = set(server_children()) if kind == "load" else set()
        how = signal.SIGSTOP if rng.random() < 0.4 else signal.SIGKILL
        delay = rng.uniform(0.0, 1.2 * ordinary[kind])
        done, struck = threading.Event(), threading.Event()

        # Known at once, except for a load: its server is yet to start.
        known = [] if kind == "load" else [pid for pid in servers_of(library) if pid not in faulted]

        def fault(kind=kind, library=library, before=before, how=how, delay=delay, done=done, struck=struck,
                  targets=known):
            time.sleep(delay)
            while not targets:
                targets = [pid for pid in servers_of(library) if pid not in faulted and pid not in before]
                if not targets and done.wait(0.001):
                    return
            faulted.add(targets[0])
            during = in_call[0]
            try:
                os.kill(targets[0], how)
            except ProcessLookupError:
                return
            finally:
                struck.set()
            if during:
                hits[kind] = hits.get(kind, 0) + 1

        thread = threading.Thread(target=fault)
        thread.start()
        for _ in range(500 if kind in quick else 1):
            in_call[0] = True
            took = kinds[kind]()
            in_call[0] = False
            worst[kind] = max(worst.get(kind, 0.0), took)
            if struck.is_set():
                break
        done.set()
        thread.join()
        # A stopped server the calls did not notice is killed by the proxy's watchdog within
        # its hang timeout; the next round waits for the new one.
    for path in (state, big_state):
        if os.path.exists(path):
            os.remove(path)
    print(json.dumps({"count": args.count, "ordinary_seconds": ordinary, "worst_seconds": worst,
                      "faults_during_the_call": hits, "failed_loads": failed_loads}))


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("render")
    p.add_argument("plugin")
    p.add_argument("out")
    p.add_argument("--block", type=int, default=64)
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--set", action="append")
    p.add_argument("--notes", action="store_true")
    p.set_defaults(run=render)
    p = commands.add_parser("params")
    p.add_argument("plugin")
    p.add_argument("state_out")
    p.add_argument("--set", action="append")
    p.set_defaults(run=params)
    p = commands.add_parser("load-state")
    p.add_argument("plugin")
    p.add_argument("state_in")
    p.set_defaults(run=load_state)
    p = commands.add_parser("faults")
    p.add_argument("plugin")
    p.add_argument("state_plugin")
    p.add_argument("count", type=int)
    p.add_argument("seed", type=int)
    p.add_argument("--state-bytes", type=int, default=64 << 20)
    p.add_argument("--kinds", help="only these kinds, comma-separated")
    p.set_defaults(run=faults)
    p = commands.add_parser("editor-crash")
    p.add_argument("plugin")
    p.set_defaults(run=editor_crash)
    p = commands.add_parser("close-windows")
    p.add_argument("pid", type=int)
    p.add_argument("seconds", type=float)
    p.set_defaults(run=close_windows)
    p = commands.add_parser("bench")
    p.add_argument("plugin")
    p.add_argument("seconds", type=float)
    p.set_defaults(run=bench)
    p = commands.add_parser("stall")
    p.add_argument("plugin")
    p.set_defaults(run=stall)
    p = commands.add_parser("kill-mid-render")
    p.add_argument("plugin")
    p.set_defaults(run=kill_mid_render)
    p = commands.add_parser("hold")
    p.add_argument("plugin")
    p.set_defaults(run=hold)
    p = commands.add_parser("lifecycle")
    p.add_argument("plugin")
    p.add_argument("count", type=int)
    p.set_defaults(run=lifecycle)
    args = parser.parse_args()
    # JUCE prints its own lines on stdout: keep stdout for our JSON only.
    real_stdout = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(real_stdout, "w")
    args.run(args)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
