"""A round state indicator that can pulse (the cards' state and live dots)."""

from __future__ import annotations

from PySide6.QtCore import Property, QEasingCurve, QPointF, QSize, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QWidget


class PulseDot(QWidget):
    """A round indicator. Its colour comes from QSS (`qproperty-color`); while `pulsing` a ring
    breathes out of it. The core keeps its exact colour at every phase of the pulse, and the
    animation only runs while the dot is pulsing and on screen."""

    pulsingChanged = Signal(bool)

    # Class-level defaults: the style sheet may set `color` while QWidget.__init__ still runs
    # (a child polished by an already styled parent), before __init__'s own lines.
    _color = QColor("#7d838c")  # neutral until the QSS says which state it shows
    _pulsing = False
    _phase = 0.0

    def __init__(self, parent: QWidget | None = None, *, diameter: int = 10, halo: int = 5) -> None:
        super().__init__(parent)
        self._diameter = diameter
        side = diameter + 2 * halo
        self.setFixedSize(side, side)
        self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
        self._animation = QVariantAnimation(self)
        self._animation.setStartValue(0.0)
        self._animation.setEndValue(1.0)
        self._animation.setDuration(1400)
        self._animation.setLoopCount(-1)
        self._animation.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._animation.valueChanged.connect(self._on_phase)

    # -- Qt properties -------------------------------------------------------------------------

    def _get_color(self) -> QColor:
        return QColor(self._color)

    def _set_color(self, color: QColor) -> None:
        if color != self._color:
            self._color = QColor(color)
            self.update()

    color = Property(QColor, _get_color, _set_color)

    def _get_pulsing(self) -> bool:
        return self._pulsing

    def _set_pulsing(self, pulsing: bool) -> None:
        pulsing = bool(pulsing)
        if pulsing == self._pulsing:
            return
        self._pulsing = pulsing
        self._sync_animation()
        self.update()
        self.pulsingChanged.emit(pulsing)

    pulsing = Property(bool, _get_pulsing, _set_pulsing, notify=pulsingChanged)

    def is_pulsing(self) -> bool:
        return self._pulsing

    def set_pulsing(self, pulsing: bool) -> None:
        self._set_pulsing(pulsing)

    @property
    def animating(self) -> bool:
        return self._animation.state() is QVariantAnimation.State.Running

    # -- animation -----------------------------------------------------------------------------

    def _sync_animation(self) -> None:
        if self._pulsing and self.isVisible():
            if not self.animating:
                self._animation.start()
        elif self.animating:
            self._animation.stop()
            self._phase = 0.0

    def _on_phase(self, value: object) -> None:
        self._phase = float(value) if isinstance(value, int | float) else 0.0
        self.update()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._sync_animation()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._sync_animation()

    def sizeHint(self) -> QSize:
        return self.size()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        center = QPointF(self.width() / 2, self.height() / 2)
        core = self._diameter / 2
        if self._pulsing:
            outer = min(self.width(), self.height()) / 2
            halo = QColor(self._color)
            if self.animating:
                radius = core + (outer - core) * self._phase
                halo.setAlphaF(0.55 * (1.0 - self._phase))
            else:  # pulsing but off screen or in a still grab: a steady ring
                radius = core + (outer - core) * 0.6
                halo.setAlphaF(0.3)
            painter.setBrush(halo)
            painter.drawEllipse(center, radius, radius)
        painter.setBrush(self._color)
        painter.drawEllipse(center, core, core)
        painter.end()
