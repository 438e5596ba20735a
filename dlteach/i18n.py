"""The language the library speaks to a learner: English, or Simplified Chinese.

A lesson chooses it in its first cell with ``use_language("en")`` (the Chinese edition's says
``"zh"``). Library text a learner reads (explorer labels and remarks, plot titles, exercise
feedback) is marked with ``_()``, ``ngettext()`` or ``pgettext()`` and looked up in the gettext catalogue
``dlteach/locale/zh_CN/LC_MESSAGES/dlteach.po``, read with Babel; the exercises' hints and worked
answers are looked up in their lesson's catalogue in ``course/zh/``. ``dlteach translate``
keeps the catalogues in step with the English source (see ``dlteach.translate``).

Chinese figures draw their text in Noto Sans CJK SC, which the ``mplfonts`` package ships
(Latin letters, digits and minus signs included; formulas keep matplotlib's math fonts).
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
from pathlib import Path

LOCALES = {"en": None, "zh": "zh_CN"}  # the languages of the course → their gettext locale
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "dlteach"
CJK_FONT = "NotoSansCJKsc-Regular.otf"

_language = "en"


def use_language(language: str) -> None:
    """Speak ``language`` ("en" or "zh") from now on; figures made afterwards draw its script."""
    global _language
    if language not in LOCALES:
        raise ValueError(f"the course is written in {sorted(LOCALES)}, not {language!r}")
    _language = language
    import matplotlib

    if language == "zh":
        # the CJK font first: text beside a formula ("损失 $L(w)$") is drawn in one font, the first
        matplotlib.rcParams["font.family"] = [cjk_font(), "DejaVu Sans"]
    elif matplotlib.rcParams["font.family"][1:] == ["DejaVu Sans"]:  # back from Chinese: the default font
        matplotlib.rcParams["font.family"] = matplotlib.rcParamsDefault["font.family"]


@contextlib.contextmanager
def speaking(language: str):
    """Speak ``language`` inside a ``with`` block, and the language spoken before after it."""
    before = _language
    use_language(language)
    try:
        yield
    finally:
        use_language(before)


def language() -> str:
    return _language


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _catalogue(_language).gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined (a constant); ``_()`` translates it where it is shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message about ``n`` things, in the language in use ("1 step", "2 steps")."""
    return _catalogue(_language).ngettext(singular, plural, n)


def sentences(*parts: str) -> str:
    """Sentences one after another, as the language writes them (English with a space, Chinese without)."""
    text, *rest = [part for part in parts if part] or [""]
    for more in rest:
        text = _("{text} {more}").format(text=text, more=more)
    return text


def pgettext(context: str, message: str) -> str:
    """``message`` in the language in use, where the same English means different things ("step":
    a step of descent, or a step function, the context tells which)."""
    return _catalogue(_language).pgettext(context, message)


def catalogue_path(locale: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def gnu_translations(po_path: Path) -> gettext.GNUTranslations:
    """The PO file's translations (fuzzy ones left out, as gettext does), compiled in memory."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as f:
        catalog = read_po(f)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@functools.cache
def _catalogue(language: str) -> gettext.NullTranslations:
    locale = LOCALES[language]
    return gettext.NullTranslations() if locale is None else gnu_translations(catalogue_path(locale))


@functools.cache
def cjk_font() -> str:
    """The family name of the CJK font, registered with matplotlib (once: it reads 16 MB). It has
    one weight, so bold Chinese is drawn regular, without matplotlib logging that into a lesson."""
    import mplfonts
    from matplotlib import font_manager

    path = Path(mplfonts.__file__).parent / "fonts" / CJK_FONT
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    font_manager._log.addFilter(lambda record: not (family in str(record.args) and "weight" in record.msg))
    return family


def lesson_text(lesson: int, text: str) -> str:
    """A text of lesson ``lesson``'s exercises (a hint, a worked answer) in the language in use."""
    return text if _language == "en" else _lesson_catalogue(_language, lesson).gettext(text)


@functools.cache
def _lesson_catalogue(language: str, lesson: int) -> gettext.GNUTranslations:
    from .course import lesson_catalogue

    return gnu_translations(lesson_catalogue(language, lesson))
