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
    faults PLUGIN COUNT SEED
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
    """The bridge servers this process started (the proxy spawns them as our children)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue
        # fields[0] is the state, fields[1] the parent's pid.
        if int(fields[1]) == os.getpid() and name.startswith("vstbridge-serv") and fields[0] != "Z":
            found.append(int(entry))
    return found


def stall(args):
    """Stops the server (SIGSTOP) and times what the host does next; then lets it go."""
    import signal
    engine = dawdreamer.RenderEngine(SAMPLE_RATE, 512)
    plugin = engine.make_plugin_processor("plugin", args.plugin)
    inputs = plugin.get_num_input_channels()
    source = engine.make_playback_processor("source", input_signal(inputs, SAMPLE_RATE * 4))
    engine.load_graph([(source, []), (plugin, ["source"])])
    engine.render(0.2)
    servers = server_children()
    if len(servers) != 1:
        raise SystemExit(f"expected one server, found {servers}")
    stopped = servers[0]
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
    deadline = time.monotonic() + 15
    restarted = False
    while time.monotonic() < deadline and not restarted:
        restarted = any(pid != stopped for pid in server_children())
        time.sleep(0.05)
    time.sleep(0.5)
    engine.render(1.0)
    audio = engine.get_audio()
    timings["restarted"] = restarted
    timings["peak_after"] = float(np.abs(audio).max())
    print(json.dumps(timings))


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


def faults(args):
    """Stops (SIGSTOP) or kills (SIGKILL) the server at a random moment during a random kind
    of call, COUNT times; prints the worst time each kind of call took."""
    import random
    import signal
    import threading
    rng = random.Random(args.seed)

    def instance():
        engine = dawdreamer.RenderEngine(SAMPLE_RATE, 512)
        plugin = engine.make_plugin_processor("plugin", args.plugin)
        source = engine.make_playback_processor(
            "source", input_signal(plugin.get_num_input_channels(), SAMPLE_RATE))
        engine.load_graph([(source, []), (plugin, ["source"])])
        return engine, plugin, source

    def a_live_server(excluded):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            live = [pid for pid in server_children() if pid not in excluded]
            if live:
                return live[0]
            time.sleep(0.02)
        raise SystemExit("no server came back")

    state = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vstbridge-faults-{os.getpid()}.state")
    engine, plugin, source = instance()
    engine.render(0.1)
    worst, faulted = {}, set()
    for _ in range(args.count):
        pid = a_live_server(faulted)
        how = signal.SIGSTOP if rng.random() < 0.4 else signal.SIGKILL

        def fault(pid=pid, how=how):
            try:
                os.kill(pid, how)
            except ProcessLookupError:
                pass

        timer = threading.Timer(rng.uniform(0.0, 0.03), fault)
        kind = rng.choice(["parameter text", "parameter description", "save state", "render", "reload"])
        timer.start()
        started = time.perf_counter()
        if kind == "parameter text":
            plugin.get_parameter_text(0)
        elif kind == "parameter description":
            plugin.get_parameters_description()
        elif kind == "save state":
            plugin.save_state(state)
        elif kind == "render":
            engine.render(0.2)
        else:
            engine, plugin, source = None, None, None
            gc.collect()
            engine, plugin, source = instance()
        took = time.perf_counter() - started
        timer.join()
        faulted.add(pid)
        worst[kind] = max(worst.get(kind, 0.0), took)
        # A stopped server the calls did not notice is killed by the proxy's watchdog within
        # its hang timeout; the next round waits for the new one.
    if os.path.exists(state):
        os.remove(state)
    print(json.dumps({"count": args.count, "worst_seconds": worst}))


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
    p.add_argument("count", type=int)
    p.add_argument("seed", type=int)
    p.set_defaults(run=faults)
    p = commands.add_parser("bench")
    p.add_argument("plugin")
    p.add_argument("seconds", type=float)
    p.set_defaults(run=bench)
    p = commands.add_parser("stall")
    p.add_argument("plugin")
    p.set_defaults(run=stall)
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
