"""Asking and telling the user: file choice, confirmation, messages. One class, so tests can script it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

TITLE = "ActivityWatch"


class Dialogs:
    """Qt's standard dialogs (a test passes a subclass that answers without blocking)."""

    def __init__(self) -> None:
        self._open: list[QDialog] = []  # non-modal boxes stay alive until closed

    def save_path(self, title: str, suggested: Path) -> Path | None:
        """Where to save a file, or None when the user cancels."""
        name, _ = QFileDialog.getSaveFileName(None, title, str(suggested), "JSON files (*.json);;All files (*)")
        return Path(name) if name else None

    def confirm(self, title: str, text: str) -> bool:
        """Whether the user agrees (the safe answer is the default)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
        yes = box.addButton("Forget", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is yes

    def ask(self, title: str, text: str, yes: str) -> bool:
        """Whether the user takes the offer (`yes` names it; "Not now" is the default)."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton)
        accept = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton("Not now", QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is accept

    def choose(self, title: str, text: str, choices: Sequence[str], warning: bool = True) -> int | None:
        """Which of `choices` the user picks (its index), or None when the box is closed (`warning`: a
        problem to settle, else a plain question)."""
        icon = QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Question
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.NoButton)
        buttons = [box.addButton(choice, QMessageBox.ButtonRole.AcceptRole) for choice in choices]
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return next((i for i, button in enumerate(buttons) if button is clicked), None)

    def open_path(self, title: str, kinds: str) -> Path | None:
        """A file to open, or None when the user cancels (`kinds`: a Qt name filter)."""
        name, _ = QFileDialog.getOpenFileName(None, title, str(Path.home()), kinds)
        return Path(name) if name else None

    def folder_path(self, title: str) -> Path | None:
        """A folder, or None when the user cancels."""
        name = QFileDialog.getExistingDirectory(None, title, str(Path.home()))
        return Path(name) if name else None

    def text(self, title: str, label: str) -> str | None:
        """A line the user types (may be empty), or None when the user cancels."""
        value, ok = QInputDialog.getText(None, title, label)
        return value if ok else None

    def inform(self, title: str, text: str, parent: QWidget | None = None) -> None:
        """A message that does not block the app."""
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setModal(False)
        box.finished.connect(lambda _result, b=box: self._open.remove(b) if b in self._open else None)
        self._open.append(box)
        box.show()

    def show_key(self, title: str, text: str, key: str) -> None:
        """`text`, then a secret the user must take to another computer, with a Copy button (does not block)."""
        box = KeyBox(title, text, key)
        box.finished.connect(lambda _result, b=box: self._open.remove(b) if b in self._open else None)
        self._open.append(box)
        box.show()

    def error(self, text: str) -> None:
        """A problem the app cannot go on with: one sentence and the remedy (blocks until closed)."""
        QMessageBox.critical(None, TITLE, text)


class KeyBox(QDialog):
    """A message with a secret under it: selectable, in a fixed-width font, and a button that copies it."""

    def __init__(self, title: str, text: str, key: str) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.key = key
        label = QLabel(text)
        label.setWordWrap(True)
        self.field = QLineEdit(key)
        self.field.setReadOnly(True)
        self.field.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.field.setMinimumWidth(self.field.fontMetrics().horizontalAdvance(key) + 24)
        self.copy = QPushButton("Copy key")
        self.copy.clicked.connect(self._on_copy_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for widget in (label, self.field, buttons):
            layout.addWidget(widget)

    def _on_copy_clicked(self) -> None:
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.key)
        self.copy.setText("Copied")
