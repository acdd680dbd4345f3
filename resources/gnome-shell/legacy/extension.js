// ActivityWatch focused window, GNOME Shell 43-44 (legacy extension format; esm/ holds the 45+ build).
//
// Publishes the focused window's title and app on the shell's session-bus connection (bus name
// org.gnome.Shell) at /net/activitywatch/FocusedWindow: a Get() method and a Changed signal sent when the
// focus or the focused window's title changes, so the app waits for signals instead of asking every second.
// Keep the logic in step with esm/extension.js: one file cannot serve both extension formats.
'use strict';

const {Gio, GLib, Shell} = imports.gi;

const OBJECT_PATH = '/net/activitywatch/FocusedWindow';
const INTERFACE = `<node>
  <interface name="net.activitywatch.FocusedWindow">
    <method name="Get"><arg type="s" direction="out" name="window"/></method>
    <signal name="Changed"><arg type="s" name="window"/></signal>
  </interface>
</node>`;

function describe(window) {
    if (!window)
        return '{}';
    const app = Shell.WindowTracker.get_default().get_window_app(window);
    return JSON.stringify({
        title: window.get_title() || '',
        wm_class: window.get_wm_class() || '',
        wm_class_instance: window.get_wm_class_instance() || '',
        app_id: (app && app.get_id()) || '',
        sandboxed_app_id: window.get_sandboxed_app_id() || '',
        pid: window.get_pid(),
    });
}

class FocusPublisher {
    enable() {
        this._window = null;
        this._windowSignals = [];
        this._last = '{}';
        this._dbus = Gio.DBusExportedObject.wrapJSObject(INTERFACE, this);
        this._dbus.export(Gio.DBus.session, OBJECT_PATH);
        this._focusSignal = global.display.connect('notify::focus-window', () => this._follow());
        this._follow();
    }

    disable() {
        global.display.disconnect(this._focusSignal);
        this._watch(null);
        // Disabled (also while the screen is locked): from now on nothing is known about the focus.
        this._publish();
        this._dbus.unexport();
        this._dbus = null;
    }

    Get() {
        return this._last;
    }

    _follow() {
        const window = global.display.focus_window;
        if (window !== this._window)
            this._watch(window);
        this._publish();
    }

    _watch(window) {
        for (const id of this._windowSignals)
            this._window.disconnect(id);
        this._window = window;
        this._windowSignals = window
            ? ['notify::title', 'notify::wm-class'].map(name => window.connect(name, () => this._publish()))
            : [];
    }

    _publish() {
        const text = describe(this._window);
        if (text === this._last)
            return;
        this._last = text;
        this._dbus.emit_signal('Changed', new GLib.Variant('(s)', [text]));
    }
}

function init() {
    return new FocusPublisher();
}
