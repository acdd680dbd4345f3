"""The tray icon for each state: the application icon, faded with a pause sign when paused, with a red
mark when a watcher is in trouble (drawn over the PNG sizes in resources/icons)."""

from __future__ import annotations

import functools

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from activitywatch.assets import resource

SIZES = (16, 32, 48, 64, 128, 256)
STATES = ("tracking", "paused", "trouble")
PAUSED_BADGE = QColor(90, 90, 90)
TROUBLE_BADGE = QColor(214, 40, 40)


def _base(size: int) -> QPixmap:
    return QPixmap(str(resource("icons", f"activitywatch-{size}.png")))


def _faded(pixmap: QPixmap) -> QPixmap:
    out = QPixmap(pixmap.size())
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    painter.setOpacity(0.4)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    return out


def _badge(pixmap: QPixmap, color: QColor, paused: bool) -> QPixmap:
    size = pixmap.width()
    out = QPixmap(pixmap)
    painter = QPainter(out)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    d = size * 0.5
    badge = QRectF(size - d, size - d, d, d)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(badge)
    painter.setBrush(QColor("white"))
    if paused:  # two bars
        w, h = d * 0.16, d * 0.5
        top = badge.center().y() - h / 2
        painter.drawRect(QRectF(badge.center().x() - w * 1.5, top, w, h))
        painter.drawRect(QRectF(badge.center().x() + w * 0.5, top, w, h))
    else:  # an exclamation mark
        w = d * 0.16
        painter.drawRect(QRectF(badge.center().x() - w / 2, badge.top() + d * 0.2, w, d * 0.38))
        painter.drawEllipse(QRectF(badge.center().x() - w / 2, badge.top() + d * 0.66, w, w))
    painter.end()
    return out


@functools.cache
def state_icon(state: str) -> QIcon:
    """The icon for "tracking", "paused" or "trouble"."""
    icon = QIcon()
    for size in SIZES:
        pixmap = _base(size)
        if state == "paused":
            pixmap = _badge(_faded(pixmap), PAUSED_BADGE, paused=True)
        elif state == "trouble":
            pixmap = _badge(pixmap, TROUBLE_BADGE, paused=False)
        icon.addPixmap(pixmap)
    return icon
