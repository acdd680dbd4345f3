// Test-only (GNOME Shell 43-44): the headless shell starts in the overview, where new windows get no focus.
'use strict';

const Main = imports.ui.main;

class OverviewOff {
    enable() {
        this._signal = Main.layoutManager.connect('startup-complete', () => Main.overview.hide());
        Main.overview.hide();
    }

    disable() {
        Main.layoutManager.disconnect(this._signal);
    }
}

function init() {
    return new OverviewOff();
}
