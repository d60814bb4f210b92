"""Every interface string is translated into Spanish and Portuguese, and compiled."""

from __future__ import annotations

import ast
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import ROOT

TRANSLATIONS = ROOT / "translations"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}


def interface_messages() -> set[str]:
    """What `flask translate update` extracts from app/, read straight from the code."""
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "app"), METHODS, keywords=KEYWORDS
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def frozen(value):
    """Plural entries come as lists from .mo files and tuples from .po files."""
    return tuple(value) if isinstance(value, list | tuple) else value


def is_translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(strings) and not message.fuzzy


def catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file, locale=language)


def test_strings_are_found_in_the_code():
    messages = interface_messages()
    assert "Lesson %(number)d of %(total)d" in messages
    assert "Please enter a valid email address." in messages


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_interface_string_has_a_translation(language):
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalogue(language)
        if message.id and is_translated(message)
    }
    missing = sorted(interface_messages() - translated)
    assert missing == [], f"untranslated in {language}: run `flask translate update`"


@pytest.mark.parametrize("language", ["es", "pt"])
def test_translations_keep_their_placeholders(language):
    problems = [(message.id, errors) for message, errors in catalogue(language).check()]
    assert problems == []


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_compiled_catalogue_is_up_to_date(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as file:
        compiled = {frozen(m.id): frozen(m.string) for m in read_mo(file) if m.id}
    source = {frozen(m.id): frozen(m.string) for m in catalogue(language) if m.id}
    assert compiled == source, "run `flask translate compile`"


# Buttons and links use the infinitive in both languages ("Iniciar sesión", "Iniciar
# sessão"), never the imperative explanatory sentences use (see translations/README.md).
# The imperatives below are those of the verbs buttons and links of this interface use,
# and of their near neighbours: in Spanish the "tú" form, in Portuguese the formal one.
IMPERATIVES = {
    "es": {
        "Activa",
        "Anota",
        "Aplica",
        "Avisa",
        "Busca",
        "Cambia",
        "Cierra",
        "Comienza",
        "Confirma",
        "Continúa",
        "Corrige",
        "Crea",
        "Deja",
        "Descarga",
        "Desactiva",
        "Elige",
        "Elimina",
        "Empieza",
        "Envía",
        "Envíame",
        "Escribe",
        "Genera",
        "Guarda",
        "Haz",
        "Inicia",
        "Inscribe",
        "Lee",
        "Limita",
        "Marca",
        "Mira",
        "Muestra",
        "Mueve",
        "Pide",
        "Quita",
        "Reactiva",
        "Recarga",
        "Regístrate",
        "Responde",
        "Sustituye",
        "Únete",
        "Ve",
        "Vuelve",
    },
    "pt": {
        "Altere",
        "Aplique",
        "Ative",
        "Avise",
        "Carregue",
        "Comece",
        "Confirme",
        "Continue",
        "Crie",
        "Deixe",
        "Desative",
        "Elimine",
        "Envie",
        "Escolha",
        "Escreva",
        "Faça",
        "Gere",
        "Guarde",
        "Indique",
        "Inicie",
        "Inscreva",
        "Junte",
        "Leia",
        "Marque",
        "Mostre",
        "Peça",
        "Pesquise",
        "Reative",
        "Recarregue",
        "Registe",
        "Retifique",
        "Retire",
        "Salte",
        "Substitua",
        "Termine",
        "Transfira",
        "Vá",
        "Veja",
        "Volte",
    },
}
TEMPLATE_CONTROL = re.compile(r"<(button|a|summary)\b[^>]*>(.*?)</\1>", re.S)
TEMPLATE_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def labels_in_templates() -> set[str]:
    """Every message a template shows as the text of a button, a link or a disclosure."""
    labels = set()
    for template in (ROOT / "app" / "templates").rglob("*.html"):
        for control in TEMPLATE_CONTROL.finditer(template.read_text(encoding="utf-8")):
            for call in TEMPLATE_CALL.finditer(control.group(2)):
                labels.add(call.group(1) if call.group(1) is not None else call.group(2))
    return labels


def labels_in_python() -> set[str]:
    """The links views hand to templates as (url_for(…), _("label")) pairs."""
    labels = set()
    for module in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
                continue
            address, label = node.elts
            if (
                isinstance(address, ast.Call)
                and getattr(address.func, "id", None) == "url_for"
                and isinstance(label, ast.Call)
                and getattr(label.func, "id", None) == "_"
                and isinstance(label.args[0], ast.Constant)
            ):
                labels.add(label.args[0].value)
    return labels


def leading_verbs(label: str) -> list[str]:
    """The first word of a label, and of what follows a question it starts with
    ("¿… un código? Unirte a tu grupo"), without clitics ("Junte-se") or punctuation."""
    words = []
    for part in re.split(r"\?\s+", label):
        match = re.match(r"[¿¡«\s]*([^\W\d_]+)", part)
        if match:
            words.append(match.group(1))
    return words


def test_button_and_link_labels_are_found():
    labels = labels_in_templates() | labels_in_python()
    assert {"Sign in", "Mark this lesson as complete", "Create an account"} <= labels
    assert {"Send me a link", "Back to the cohort", "Forgotten your password?"} <= labels


@pytest.mark.parametrize("language", ["es", "pt"])
def test_buttons_and_links_use_the_infinitive(language):
    translations = {m.id: m.string for m in catalogue(language) if isinstance(m.id, str)}
    imperative = [
        (label, translations[label])
        for label in sorted(labels_in_templates() | labels_in_python())
        if set(leading_verbs(translations[label])) & IMPERATIVES[language]
    ]
    assert imperative == []


# Variants the glossary in translations/README.md rules out, and what it chose instead.
FORBIDDEN = {
    "es": {
        r"\b(?:la|una|esta|esa|cada) orden\b|\b[Óó]rdenes\b": "comando",
        r"\balumnado\b": "alumnos",
        r"\bHerramientas de formación\b": "Herramientas para formadores",
    },
    "pt": {
        r"\blínguas?\b": "idioma",
        r"\bdescarreg|\bdescargas?\b": "transferir, transferência",
        r"\busos\b": "utilizações",
        r"\bcorreio eletrónico\b": "email",
        r"\bFerramentas de formação\b": "Ferramentas para formadores",
    },
}


def translated_strings(language: str):
    for message in catalogue(language):
        if message.id:
            yield from (
                message.string if isinstance(message.string, tuple | list) else [message.string]
            )


@pytest.mark.parametrize("language", ["es", "pt"])
def test_translations_keep_to_the_glossary(language):
    found = [
        (text, FORBIDDEN[language][pattern])
        for text in translated_strings(language)
        for pattern in FORBIDDEN[language]
        if re.search(pattern, text, re.IGNORECASE)
    ]
    assert found == []


@pytest.mark.parametrize("language", ["es", "pt"])
def test_date_format_hints_are_written_the_same_way(language):
    hints = [text for text in translated_strings(language) if "MM-DD" in text]
    assert hints and all("AAAA-MM-DD" in text for text in hints)


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_shipped_lessons_keep_to_the_glossary(language):
    found = [
        (str(path.relative_to(ROOT)), line, FORBIDDEN[language][pattern])
        for path in sorted((ROOT / "lessons").rglob(f"{language}.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        for pattern in FORBIDDEN[language]
        if re.search(pattern, line, re.IGNORECASE)
    ]
    assert found == []
