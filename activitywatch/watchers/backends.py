"""Which desktop backend reads the active window and the idle time: chosen once, when a watcher starts.

The session's environment names the display server (XDG_SESSION_TYPE, WAYLAND_DISPLAY, DISPLAY) and
the desktop (XDG_CURRENT_DESKTOP); each candidate backend is then opened, which checks it once (it
connects and looks for what it needs) before it is used. The first that opens wins; the others'
reasons are logged. When none works, ProbeUnavailable carries one sentence that names the desktop
and says what would make tracking work (the tray shows it). Per-desktop code lives in one module per
desktop (`probes` for X11, Windows and macOS, `wlroots`, `gnome`, `kde`, `logind`, `media`); this module
only chooses.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from activitywatch.watchers.probes import (
    IdleProbe,
    ProbeUnavailable,
    WindowProbe,
    open_idle_probe,
    open_window_probe,
)

log = logging.getLogger(__name__)

P = TypeVar("P")

WLROOTS_DESKTOPS = {"sway": "sway", "hyprland": "Hyprland", "river": "river", "labwc": "labwc", "wayfire": "Wayfire"}
X11_HINT = "or log in with an X11 session"


@dataclass(frozen=True)
class Session:
    """What the environment says about the desktop session."""

    kind: str  # "wayland", "x11", "tty" or "" (unknown)
    desktops: tuple[str, ...]  # XDG_CURRENT_DESKTOP, lower case
    wayland_display: str
    x_display: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Session:
        """The session described by these environment variables."""
        kind = environ.get("XDG_SESSION_TYPE", "").strip().lower()
        wayland_display = environ.get("WAYLAND_DISPLAY", "")
        if not kind and wayland_display:
            kind = "wayland"  # started from a terminal without logind's variables
        desktops = tuple(d.strip().lower() for d in environ.get("XDG_CURRENT_DESKTOP", "").split(":") if d.strip())
        return cls(kind, desktops, wayland_display, environ.get("DISPLAY", ""))

    @property
    def wayland(self) -> bool:
        """Whether this is a Wayland session (where X11 probes see only Xwayland windows)."""
        return self.kind == "wayland" or (bool(self.wayland_display) and self.kind != "x11")

    @property
    def gnome(self) -> bool:
        """GNOME Shell (also Ubuntu's, and GNOME Classic)."""
        return any(d == "gnome" or d.startswith("gnome-") for d in self.desktops)

    @property
    def kde(self) -> bool:
        """KDE Plasma."""
        return "kde" in self.desktops

    @property
    def desktop_name(self) -> str:
        """The desktop as a user calls it, for sentences."""
        if self.gnome:
            return "GNOME"
        if self.kde:
            return "KDE Plasma"
        for d in self.desktops:
            if d in WLROOTS_DESKTOPS:
                return WLROOTS_DESKTOPS[d]
        return self.desktops[0] if self.desktops else "this desktop"


@dataclass
class Choice(Generic[P]):
    """The probe chosen, the backend's name for the user, and why the others were not chosen."""

    probe: P
    backend: str
    declined: list[str] = field(default_factory=list)


Candidate = tuple[str, Callable[[], P]]


def _first(candidates: list[Candidate[P]], what: str) -> Choice[P] | list[str]:
    """Open the candidates in order; the first that opens, or every candidate's reason."""
    declined: list[str] = []
    for backend, open_probe in candidates:
        try:
            probe = open_probe()
        except ProbeUnavailable as exc:
            declined.append(f"{backend}: {exc}")
            continue
        for reason in declined:
            log.info("%s: not using %s", what, reason)
        log.info("%s: using %s", what, backend)
        return Choice(probe, backend, declined)
    return declined


def choose_window_probe(environ: Mapping[str, str] = os.environ) -> Choice[WindowProbe]:
    """The active-window probe for this session (ProbeUnavailable with the sentence for the user)."""
    if not sys.platform.startswith("linux"):
        return Choice(open_window_probe(), sys.platform)
    session = Session.from_environ(environ)
    if not session.wayland:
        return _only(session, "pywinctl (X11)", open_window_probe, "window")
    from activitywatch.watchers import gnome, kde, wlroots  # noqa: PLC0415 - pywayland only on Wayland

    candidates: list[Candidate[WindowProbe]] = []
    if session.gnome:
        candidates.append(("GNOME Shell extension", gnome.open_gnome_window_probe))
    if session.kde:
        candidates.append(("KWin script", kde.KWinWindowProbe))
    candidates.append(("wlr-foreign-toplevel-management", lambda: wlroots.WlrWindowProbe(environ)))
    if environ.get("SWAYSOCK"):
        candidates.append(("sway IPC", lambda: wlroots.SwayIpcWindowProbe(environ)))
    chosen = _first(candidates, "Window watcher")
    if isinstance(chosen, Choice):
        return chosen
    raise ProbeUnavailable(_no_window_sentence(session, chosen, environ))


def choose_idle_probe(
    environ: Mapping[str, str] = os.environ, resolution: float | None = None, *, use_logind: bool = True
) -> Choice[IdleProbe]:
    """The idle probe for this session, with logind's screen lock added where logind knows the session."""
    if not sys.platform.startswith("linux"):
        return Choice(open_idle_probe(), sys.platform)
    session = Session.from_environ(environ)
    if session.wayland:
        from activitywatch.watchers import gnome, kde, wlroots  # noqa: PLC0415 - pywayland only on Wayland

        def wayland_idle() -> IdleProbe:
            if resolution is None:
                return wlroots.WaylandIdleProbe(environ)
            return wlroots.WaylandIdleProbe(environ, resolution)

        candidates: list[Candidate[IdleProbe]] = []
        if session.gnome:
            candidates.append(("Mutter IdleMonitor", gnome.GnomeIdleProbe))
        candidates.append(("Wayland idle notifications", wayland_idle))
        chosen = _first(candidates, "AFK watcher")
        if not isinstance(chosen, Choice):
            raise ProbeUnavailable(_no_idle_sentence(session, chosen, environ))
        name = getattr(chosen.probe, "protocol", "")
        chosen.backend = f"{chosen.backend} ({name})" if name else chosen.backend
        if session.kde:
            chosen = with_kde_lock(chosen, kde.KdeIdleProbe)
    else:
        chosen = _only(session, "X11 screen saver", open_idle_probe, "idle")
    return with_logind_lock(chosen, environ) if use_logind else chosen


def with_kde_lock(chosen: Choice[IdleProbe], kde_probe: Callable[[IdleProbe], IdleProbe]) -> Choice[IdleProbe]:
    """Add KDE's screen locker (org.freedesktop.ScreenSaver) to the idle probe; as it is without a session bus."""
    try:
        probe = kde_probe(chosen.probe)
    except ProbeUnavailable as exc:
        chosen.declined.append(f"KDE screen locker: {exc}")
        return chosen
    return Choice(probe, f"{chosen.backend} + KDE screen locker", chosen.declined)


def with_logind_lock(chosen: Choice[IdleProbe], environ: Mapping[str, str]) -> Choice[IdleProbe]:
    """Add logind's LockedHint to the chosen idle probe (X11 included); as it is when logind cannot help."""
    from activitywatch.watchers.logind import LockAwareIdleProbe, LogindSession  # noqa: PLC0415

    try:
        session = LogindSession(environ)
    except ProbeUnavailable as exc:
        log.info("AFK watcher: the screen lock is not read from logind: %s", exc)
        chosen.declined.append(f"logind: {exc}")
        return chosen
    log.info("AFK watcher: the screen lock also comes from logind (%s)", session.path)
    return Choice(LockAwareIdleProbe(chosen.probe, session), f"{chosen.backend} + logind lock", chosen.declined)


def _only(session: Session, backend: str, open_probe: Callable[[], P], what: str) -> Choice[P]:
    """The one X11 candidate; its failure becomes the sentence (naming the session when it is not X11)."""
    try:
        return Choice(open_probe(), backend)
    except ProbeUnavailable as exc:
        if session.kind == "tty" and not session.x_display:
            raise ProbeUnavailable(
                "This is a text console session, with no windows or pointer to watch; "
                "start ActivityWatch from a graphical desktop session"
            ) from None
        raise ProbeUnavailable(str(exc)) from None


def _connect_problem(reasons: list[str]) -> str | None:
    for reason in reasons:
        if "cannot connect to the Wayland compositor" in reason:
            return reason.split(": ", 1)[1]
    return None


def _no_window_sentence(session: Session, reasons: list[str], environ: Mapping[str, str]) -> str:
    """Why no window backend works in this Wayland session, and what would make it work."""
    desktop = session.desktop_name
    if session.gnome or session.kde:
        helper = "GNOME Shell extension" if session.gnome else "KWin script"
        reason = next((r.split(": ", 1)[1] for r in reasons if r.startswith(helper)), "it did not answer")
        sentence = f"On {desktop} (Wayland session) only a {helper} can tell the active window, and {reason}"
        if "install-extension" in reason or "log out and in" in reason or "Extensions app" in reason:
            return sentence  # the reason says what to do
        session_name = '"GNOME on Xorg"' if session.gnome else '"Plasma (X11)"'
        return f"{sentence}; to track windows, log in with {session_name}"
    problem = _connect_problem(reasons)
    if problem:
        return f"On {desktop} (Wayland session) ActivityWatch {problem}; start it from inside the desktop session"
    sway_note = " and sway's IPC did not answer" if environ.get("SWAYSOCK") else ""
    return (
        f"On {desktop} (Wayland session) the compositor does not share the active window "
        f"(no wlr-foreign-toplevel-management{sway_note}); tracking windows needs a compositor version that "
        f"offers it (as sway, Hyprland, labwc and Wayfire do), {X11_HINT}"
    )


def _no_idle_sentence(session: Session, reasons: list[str], environ: Mapping[str, str]) -> str:
    """Why no idle backend works in this Wayland session, and what would make it work."""
    desktop = session.desktop_name
    if session.gnome:
        reason = next((r.split(": ", 1)[1] for r in reasons if r.startswith("Mutter")), "it did not answer")
        return (
            f"On GNOME (Wayland session) idle time comes only from Mutter's IdleMonitor, and {reason}; "
            'to track time away, log in with "GNOME on Xorg"'
        )
    problem = _connect_problem(reasons)
    if problem:
        return f"On {desktop} (Wayland session) ActivityWatch {problem}; start it from inside the desktop session"
    return (
        f"On {desktop} (Wayland session) the compositor does not share idle time (neither ext-idle-notify-v1 "
        f"nor org_kde_kwin_idle); tracking time away needs a compositor version that offers one (as sway, "
        f"Hyprland, river, labwc and KDE Plasma do), {X11_HINT}"
    )
