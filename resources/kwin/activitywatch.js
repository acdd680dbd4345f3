// ActivityWatch's KWin script (KWin 5.27 and 6): tells the app's D-Bus service which window is active.
//
// Loaded and run by the app over D-Bus (org.kde.KWin /Scripting loadScript), unloaded when it stops.
// It calls the app on every activation and when the active window's title changes: no polling.
var SERVICE = "net.activitywatch.KWinWatcher";
var PATH = "/net/activitywatch/KWinWatcher";
var INTERFACE = "net.activitywatch.KWinWatcher";

var current = null;

function send(window) {
    callDBus(SERVICE, PATH, INTERFACE, "NotifyActiveWindow",
             window ? String(window.caption || "") : "",
             window ? String(window.resourceClass || "") : "",
             window ? String(window.resourceName || "") : "");
}

function onCaptionChanged() {
    send(current);
}

function onActivated(window) {
    if (current) {
        try {
            current.captionChanged.disconnect(onCaptionChanged);
        } catch (error) {
            // the window is already gone
        }
    }
    current = window || null;
    if (current)
        current.captionChanged.connect(onCaptionChanged);
    send(current);
}

// KWin 6 renamed clientActivated to windowActivated and activeClient to activeWindow.
var activated = workspace.windowActivated !== undefined ? workspace.windowActivated : workspace.clientActivated;
activated.connect(onActivated);
onActivated(workspace.activeWindow !== undefined ? workspace.activeWindow : workspace.activeClient);
