"""A menu copied into another process: the app's menu written as plain data, rebuilt in the dashboard
window's process, and the entry chosen there triggered back in the app by its number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

Item = dict[str, Any]


def snapshot(menu: QMenu) -> tuple[list[Item], list[QAction]]:
    """The menu's entries as JSON-ready items, and its actions in the order their `id`s number them."""
    actions: list[QAction] = []

    def walk(current: QMenu) -> list[Item]:
        items: list[Item] = []
        for action in current.actions():
            if action.isSeparator():
                items.append({"separator": True})
                continue
            item: Item = {"text": action.text(), "enabled": action.isEnabled()}
            sub = action.menu()
            if isinstance(sub, QMenu):
                item["children"] = walk(sub)
            else:
                item["id"] = len(actions)
                actions.append(action)
                if action.isCheckable():
                    item["checked"] = action.isChecked()
            items.append(item)
        return items

    return walk(menu), actions


def rebuild(menu: QMenu, items: list[Item], choose: Callable[[int], None]) -> None:
    """Fill `menu` (emptied first) with `items`; choosing an entry calls `choose` with its id."""
    menu.clear()
    for item in items:
        if item.get("separator"):
            menu.addSeparator()
        elif "children" in item:
            sub = menu.addMenu(str(item.get("text", "")))
            sub.setEnabled(bool(item.get("enabled", True)))
            rebuild(sub, item["children"], choose)
        else:
            action = menu.addAction(str(item.get("text", "")))
            action.setEnabled(bool(item.get("enabled", True)))
            if "checked" in item:
                action.setCheckable(True)
                action.setChecked(bool(item["checked"]))
            number = int(item["id"])
            action.triggered.connect(lambda _checked=False, n=number: choose(n))
