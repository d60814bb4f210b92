"""`flask lessons check|status|stamp`: the trainers' compiler, usable in CI, no database."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from app import create_app
from app.cli import lessons
from config import ROOT, Config, TestConfig
from tests.conftest import dispose, make_app
from tests.content.conftest import COURSE_YML, LessonsDir, lesson_file, two_courses


def run(*arguments: str):
    return CliRunner().invoke(lessons, list(arguments))


def test_the_shipped_lessons_pass_the_check_strictly():
    result = run("check", str(ROOT / "lessons"), "--strict")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings")


def test_errors_exit_1_and_warnings_exit_0_unless_strict(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",))
    warned = run("check", str(lessons_dir.root))
    assert warned.exit_code == 0
    assert warned.output.splitlines()[-1] == "0 errors, 2 warnings"
    assert run("check", str(lessons_dir.root), "--strict").exit_code == 1
    path = lessons_dir.write("02-second/es.md", lesson_file(autor="X"))
    failed = run("check", str(lessons_dir.root))
    assert failed.exit_code == 1
    assert f"{path}:5:1: error: unknown key 'autor'" in failed.output
    assert failed.output.splitlines()[-1].startswith("1 error, ")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ({"LANGUAGE": "pt"}, ("erro: chave desconhecida 'autor'", "1 erro, 0 avisos")),
        (
            {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "es_ES.UTF-8"},
            ("error: clave desconocida 'autor'", "1 error, 0 avisos"),
        ),
        ({"LANGUAGE": "fr:pt"}, ("erro: chave desconhecida 'autor'", "1 erro, 0 avisos")),
        (
            {"LANGUAGE": "", "LC_ALL": "C.UTF-8"},
            ("error: unknown key 'autor'", "1 error, 0 warnings"),
        ),
    ],
    ids=["LANGUAGE", "LANG", "first known", "C"],
)
def test_check_speaks_the_terminals_language_but_its_json_stays_english(
    lessons_dir, monkeypatch, locale, expected
):
    path = lessons_dir.write("01-first/es.md", lesson_file(autor="X"))
    for name, value in locale.items():
        monkeypatch.setenv(name, value)
    problem, summary = expected
    result = run("check", str(lessons_dir.root))
    assert f"{path}:5:1: {problem}" in result.output
    assert result.output.splitlines()[-1] == summary
    as_json = json.loads(run("check", str(lessons_dir.root), "--format", "json").output)
    assert as_json[0]["level"] == "error"
    assert as_json[0]["message"].startswith("unknown key 'autor'")


def test_status_names_the_states_and_what_to_run_in_the_terminals_language(
    lessons_dir, monkeypatch
):
    lessons_dir.lesson("01-first", languages=("es", "en"))
    lessons_dir.write("01-first/pt.md", lesson_file())
    monkeypatch.setenv("LANGUAGE", "pt")
    result = run("status", str(lessons_dir.root))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "01-first  es: Texto original  pt: Não marcada  en: Não marcada"
    path = lessons_dir.root / "01-first" / "pt.md"
    assert f"{path}: não marcada: execute `flask --app app lessons stamp {path}`" in lines[1]
    assert lines[-1].startswith("interface: es: ")


def test_help_is_in_the_terminals_language(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lessons", "check", "--help"],
        cwd=ROOT,
        env={**os.environ, "LANGUAGE": "pt"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Trata os avisos como erros." in result.stdout
    assert "Verifica DIRECTORY (por omissão, LESSONS_DIR)" in result.stdout
    # click's own words too, which it asks Python's gettext for.
    assert result.stdout.startswith("Utilização: python -m flask lessons check")
    assert "Mostra esta mensagem e termina." in result.stdout
    mistyped = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lessons", "chek"],
        cwd=ROOT,
        env={**os.environ, "LANGUAGE": "pt"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert mistyped.returncode == 2
    assert "Erro: Não existe o comando 'chek'. Queria dizer 'check'?" in mistyped.stderr


def test_json_output_lists_every_problem_with_its_position(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file(body="Text[^nope].\n"))
    result = run("check", str(lessons_dir.root), "--format", "json")
    assert result.exit_code == 1
    problems = json.loads(result.output)
    assert {"path", "line", "column", "level", "message"} == set(problems[0])
    assert {
        "path": str(path),
        "line": 7,
        "column": 5,
        "level": "error",
        "message": "footnote [^nope] has no definition",
    } in problems
    assert all(p["level"] in {"error", "warning"} for p in problems)


@pytest.mark.parametrize("command", ["check", "status"])
def test_a_lesson_file_that_cannot_be_read_is_an_error_not_a_crash(lessons_dir, command):
    lessons_dir.lesson("01-first", languages=("es", "en"))
    (lessons_dir.root / "01-first" / "pt.md").mkdir()
    result = run(command, str(lessons_dir.root))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    path = lessons_dir.root / "01-first" / "pt.md"
    assert f"{path}:1:1: error: cannot read this file: it is a folder" in result.output


def test_status_in_json_with_errors_is_still_json(lessons_dir):
    path = lessons_dir.write("01-first/es.md", lesson_file(autor="x"))
    result = CliRunner().invoke(lessons, ["status", str(lessons_dir.root), "--format", "json"])
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["path"] == str(path) and problem["level"] == "error"
    assert problem["message"].startswith("unknown key 'autor'"), "as check gives them"


def test_status_reports_each_translation_and_the_interface_catalogues(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es", "en"))
    lessons_dir.write("01-first/pt.md", lesson_file(draft="true"))
    result = run("status", str(lessons_dir.root), "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [lesson] = report["lessons"]
    states = {language: cell["state"] for language, cell in lesson["languages"].items()}
    assert states == {"es": "source", "pt": "draft", "en": "unstamped"}
    assert report["interface"] == {"es": 100, "pt": 100, "en": 100}


def test_an_unstamped_translation_is_told_so_with_how_to_stamp_it_by_status_and_check(
    lessons_dir,
):
    lessons_dir.lesson("01-first")
    folder = lessons_dir.root / "01-first"
    run("stamp", str(folder / "pt.md"))
    en = folder / "en.md"
    status = run("status", str(lessons_dir.root)).output.splitlines()
    assert status[0] == "01-first  es: Source text  pt: Up to date  en: Not stamped"
    assert status[1] == (
        f"{en}: not stamped: run `flask --app app lessons stamp {en}` once it matches es.md"
    )
    checked = run("check", str(lessons_dir.root)).output.splitlines()
    assert checked == [
        f"{en}:1:1: warning: unstamped translation: no 'translated_from', so no telling whether "
        f"it is up to date with es.md (run `flask --app app lessons stamp {en}` once it is)",
        "0 errors, 1 warning",
    ]


def test_stamping_a_translation_makes_it_current(lessons_dir):
    lessons_dir.lesson("01-first")
    run(
        "stamp",
        str(lessons_dir.root / "01-first" / "pt.md"),
        str(lessons_dir.root / "01-first" / "en.md"),
    )
    report = json.loads(run("status", str(lessons_dir.root), "--format", "json").output)
    assert {cell["state"] for cell in report["lessons"][0]["languages"].values()} == {
        "source",
        "present",
    }
    assert run("stamp", str(lessons_dir.root / "01-first" / "es.md")).exit_code == 1


# A source with each part a translator carries over: title, reading's title, text.
SOURCE = lesson_file(
    "Uno",
    body="Una línea.\nOtra línea.\n",
    reading="{title: Un libro, url: 'https://example.org/libro', pages: 3}",
)


def stamped_translations(lessons_dir):
    """A lesson whose pt and en are stamped from SOURCE; its es.md."""
    source = lessons_dir.write("01-first/es.md", SOURCE)
    for language in ("pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", lesson_file(f"Uno {language}"))
    stamped = run("stamp", str(source.with_name("pt.md")), str(source.with_name("en.md")))
    assert stamped.exit_code == 0, stamped.output
    return source


def states(lessons_dir) -> dict[str, str]:
    report = json.loads(run("status", str(lessons_dir.root), "--format", "json").output)
    return {lang: cell["state"] for lang, cell in report["lessons"][0]["languages"].items()}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Una línea.\n", "Una línea. \n"),
        ("Otra línea.\n", "Otra línea.\t\n\n\n"),
        ("\n", "\r\n"),
        ("date: 2024-05-15", "date: 2025-01-31"),
        ("date: 2024-05-15", "date: 2024-05-15\ndraft: false"),
        ("author: Ruben", "author: Rubén García"),
        ("title: Uno", "title: 'Uno'"),
        ("pages: 3", "pages: 4"),
        ("Otra línea.\n", "Otra línea.\n\n<!-- TODO: revisar la cita -->\n"),
        ("Una línea.\n", "<!-- nota\nde dos líneas -->\n\nUna línea.\n"),
        ("Una línea.", "Una línea.<!-- nota -->"),
        ("Otra línea.\n", "Otra línea.  \n"),
    ],
    ids=[
        "trailing space",
        "trailing tab and blank lines",
        "CRLF",
        "date",
        "draft false",
        "author",
        "title quoted",
        "reading pages",
        "comment after the text",
        "comment before the text",
        "comment within a line",
        "two spaces at the paragraph's end",
    ],
)
def test_a_source_edit_with_nothing_to_translate_leaves_translations_current(
    lessons_dir, before, after
):
    source = stamped_translations(lessons_dir)
    source.write_bytes(SOURCE.replace(before, after).encode("utf-8"))
    checked = run("check", str(lessons_dir.root), "--strict")
    assert checked.exit_code == 0, checked.output
    assert checked.output == "0 errors, 0 warnings\n"
    assert states(lessons_dir) == {"es": "source", "pt": "present", "en": "present"}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Otra línea.", "Otra frase."),
        ("Una línea.\n", "Una línea.  \n"),
        ("title: Uno", "title: Uno y dos"),
        ("title: Un libro", "title: Otro libro"),
    ],
    ids=["text", "hard line break", "title", "reading title"],
)
def test_a_source_edit_to_translate_makes_translations_stale(lessons_dir, before, after):
    source = stamped_translations(lessons_dir)
    source.write_bytes(SOURCE.replace(before, after).encode("utf-8"))
    checked = run("check", str(lessons_dir.root))
    for language in ("pt", "en"):
        assert (
            f"{source.with_name(f'{language}.md')}:1:1: warning: stale translation: es.md has "
            "changed since this was translated from it" in checked.output
        )
    assert states(lessons_dir) == {"es": "source", "pt": "stale", "en": "stale"}


QUIZ_SOURCE = lesson_file(
    "Uno",
    body="""\
    Texto.

    ```quiz
    pass: 50%

    ? origin: ¿De dónde viene?
    (x) ostrom: De Ostrom
    ( ) marketing: Del marketing
    ```
    """,
)


@pytest.mark.parametrize(
    ("before", "after", "stale"),
    [
        ("pass: 50%\n", "pass: 50%\n<!-- revisar con Ana -->\n", False),
        ("? origin", "<!-- una nota\nde dos líneas -->\n? origin", False),
        ("De Ostrom", "De Elinor Ostrom", True),
    ],
    ids=["comment line", "comment over two lines", "an option's words"],
)
def test_a_quiz_is_stale_for_its_words_not_for_its_comments(lessons_dir, before, after, stale):
    source = lessons_dir.write("01-first/es.md", QUIZ_SOURCE)
    for language in ("pt", "en"):
        lessons_dir.write(f"01-first/{language}.md", QUIZ_SOURCE)
    assert run("stamp", str(source.with_name("pt.md"))).exit_code == 0
    source.write_text(QUIZ_SOURCE.replace(before, after), encoding="utf-8")
    assert states(lessons_dir)["pt"] == ("stale" if stale else "present")


def test_a_stale_warning_says_what_to_run_once_the_translation_is_brought_up_to_date(
    lessons_dir,
):
    source = stamped_translations(lessons_dir)
    source.write_text(SOURCE.replace("Otra línea.", "Otra frase."), encoding="utf-8")
    portuguese = source.with_name("pt.md")
    assert (
        f"{portuguese}:1:1: warning: stale translation: es.md has changed since this was "
        "translated from it"
    ) in run("check", str(lessons_dir.root)).output
    assert (
        f"bring it up to date, then run `flask --app app lessons stamp {portuguese}`"
        in run("check", str(lessons_dir.root)).output
    )


def test_a_stamp_of_the_whole_file_holds_while_the_source_is_unchanged(lessons_dir):
    source = lessons_dir.write("01-first/es.md", SOURCE)
    # What `lessons stamp` recorded before it hashed only what translators carry over.
    whole_file = hashlib.sha256(SOURCE.encode("utf-8")).hexdigest()[:10]
    for language in ("pt", "en"):
        lessons_dir.write(
            f"01-first/{language}.md", lesson_file(translated_from=f"es@{whole_file}")
        )
    assert run("check", str(lessons_dir.root), "--strict").exit_code == 0
    source.write_text(SOURCE.replace("2024-05-15", "2025-01-31"), encoding="utf-8")
    # It cannot tell what changed, so any change makes it stale, as it did.
    assert states(lessons_dir) == {"es": "source", "pt": "stale", "en": "stale"}
    run("stamp", str(source.with_name("pt.md")), str(source.with_name("en.md")))
    assert "es@" + whole_file not in source.with_name("pt.md").read_text(encoding="utf-8")
    assert states(lessons_dir) == {"es": "source", "pt": "present", "en": "present"}


@pytest.mark.parametrize(
    ("written", "file", "message"),
    [
        ("no front matter", "pt.md", "missing front matter: start the file with a '---' block"),
        ("source without front matter", "es.md", "missing front matter: start the file"),
        ("UTF-16", "pt.md", "the file is not UTF-8 text"),
        ("no source", "es.md", "cannot read this file: it does not exist"),
    ],
)
def test_a_translation_that_cannot_be_stamped_is_told_in_one_line(
    lessons_dir, written, file, message
):
    lessons_dir.lesson("01-first")
    folder = lessons_dir.root / "01-first"
    if written == "no front matter":
        lessons_dir.write("01-first/pt.md", "# Primeira lição\n\nTexto.\n")
    elif written == "source without front matter":
        lessons_dir.write("01-first/es.md", "# Primera lección\n\nTexto.\n")
    elif written == "UTF-16":
        (folder / "pt.md").write_bytes(lesson_file().encode("utf-16"))
    else:
        (folder / "es.md").unlink()
    before = (folder / "pt.md").read_bytes()
    result = run("stamp", str(folder / "pt.md"))
    assert result.exit_code == 1
    assert not isinstance(result.exception, Exception), "a click error, not a crash"
    assert result.output.startswith(f"{folder / file}:1:1: error: {message}")
    assert (folder / "pt.md").read_bytes() == before


@pytest.mark.parametrize("start", ["", "\ufeff"], ids=["no BOM", "BOM"])
@pytest.mark.parametrize("stamped", [False, True], ids=["first stamp", "restamp"])
def test_stamping_changes_one_line_and_keeps_windows_line_endings(lessons_dir, start, stamped):
    lessons_dir.lesson("01-first")
    front = {"translated_from": "es@0000000000"} if stamped else {}
    lines = [f"{start}---", "title: Primeira", "author: Ruben", "date: 2024-05-15"]
    lines += [f"{key}: {value}" for key, value in front.items()]
    lines += ["---", "", "Texto.", ""]
    path = lessons_dir.root / "01-first" / "pt.md"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    result = run("stamp", str(path))
    assert result.exit_code == 0, result.output
    stamp = re.search(r"translated_from: es@[0-9a-f]+", result.output)[0]
    lines[4:5] = [stamp] if stamped else [stamp, "---"]
    assert path.read_bytes() == "\r\n".join(lines).encode("utf-8")
    report = json.loads(run("status", str(lessons_dir.root), "--format", "json").output)
    assert report["lessons"][0]["languages"]["pt"]["state"] == "present"


def test_a_translation_can_be_stamped_from_inside_its_lesson_folder(lessons_dir, monkeypatch):
    lessons_dir.lesson("01-first")
    monkeypatch.chdir(lessons_dir.root / "01-first")
    stamped = run("stamp", "pt.md")
    assert stamped.exit_code == 0, stamped.output
    assert stamped.output.startswith("pt.md: marked as up to date with es.md (translated_from: es@")


def test_stamping_under_broken_course_settings_says_where_they_are_wrong(lessons_dir):
    lessons_dir.lesson("01-first")
    lessons_dir.write("course.yml", "title: [unclosed\n")
    result = run("stamp", str(lessons_dir.root / "01-first" / "pt.md"))
    assert result.exit_code == 1
    assert (
        f"{lessons_dir.root / 'course.yml'}:1:8: error: this [ is never closed: end the list with ]"
        in result.output
    )
    assert "Traceback" not in result.output


def test_the_real_command_runs_without_a_database_or_a_loadable_app(lessons_dir, tmp_path):
    path = lessons_dir.write("01-first/es.md", "no front matter\n")
    env = {
        **os.environ,
        "LESSONS_DIR": str(lessons_dir.root),
        "DATABASE_URL": "postgresql://nowhere/x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lessons", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert f"{path}:1:1: error: missing front matter" in result.stdout


def test_the_server_refuses_to_start_with_the_same_messages(lessons_dir, tmp_path, capsys):
    path = lessons_dir.write("01-first/es.md", lesson_file(autor="X"))
    with pytest.raises(SystemExit) as stopped:
        create_app(
            TestConfig, {"LESSONS_DIR": str(lessons_dir.root), "INSTANCE_PATH": str(tmp_path)}
        )
    assert stopped.value.code == 1
    assert f"{path}:5:1: error: unknown key 'autor'" in capsys.readouterr().err


def test_the_server_refuses_to_start_in_the_terminals_language(
    lessons_dir, tmp_path, capsys, monkeypatch
):
    path = lessons_dir.write("01-first/es.md", lesson_file(autor="X"))
    monkeypatch.setenv("LANGUAGE", "es")
    with pytest.raises(SystemExit):
        create_app(
            TestConfig, {"LESSONS_DIR": str(lessons_dir.root), "INSTANCE_PATH": str(tmp_path)}
        )
    told = capsys.readouterr().err.splitlines()
    assert f"{path}:5:1: error: clave desconocida 'autor'" in told[-2]
    assert told[-1] == f"1 error en {lessons_dir.root}"


def test_the_server_refuses_to_start_on_a_lesson_file_it_cannot_read(lessons_dir, tmp_path, capsys):
    lessons_dir.lesson("01-first", languages=("pt", "en"))
    path = lessons_dir.root / "01-first" / "es.md"
    path.symlink_to("nowhere.md")
    with pytest.raises(SystemExit) as stopped:
        create_app(
            TestConfig, {"LESSONS_DIR": str(lessons_dir.root), "INSTANCE_PATH": str(tmp_path)}
        )
    assert stopped.value.code == 1
    assert f"{path}:1:1: error: cannot read this file: it is a link" in capsys.readouterr().err


def test_a_file_given_for_the_folder_or_a_missing_file_is_told_in_the_terminals_language(
    lessons_dir, monkeypatch
):
    monkeypatch.setenv("LANGUAGE", "es")
    lessons_dir.lesson("01-first")
    file = lessons_dir.root / "01-first" / "es.md"
    for command in ("check", "status"):
        refused = run(command, str(file))
        assert refused.exit_code == 1
        assert refused.output == (
            f"error: {file} es un archivo: indica la carpeta de las lecciones, donde está "
            "course.yml\n"
        )
    missing = file.with_name("fr.md")
    refused = run("stamp", str(missing))
    assert refused.exit_code == 1
    assert refused.output == f"error: {missing} no existe\n"
    folder = file.parent
    refused = run("stamp", str(folder))
    assert refused.exit_code == 1
    assert refused.output == (
        f"error: {folder} es una carpeta: indica el archivo de la traducción, como pt.md\n"
    )


def test_a_translation_with_errors_is_not_stamped(lessons_dir, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "pt")
    source = lessons_dir.write("01-first/es.md", QUIZ_SOURCE)
    lessons_dir.write("01-first/en.md", QUIZ_SOURCE)
    one_option_less = QUIZ_SOURCE.replace("( ) marketing: Del marketing\n", "")
    portuguese = lessons_dir.write("01-first/pt.md", one_option_less)
    before = portuguese.read_bytes()
    refused = run("stamp", str(portuguese))
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert lines[0].startswith(f"{portuguese}:") and ": erro: " in lines[0]
    assert lines[-1] == f"{portuguese} não foi marcado: corrija primeiro os seus erros"
    assert portuguese.read_bytes() == before
    assert run("stamp", str(source.with_name("en.md"))).exit_code == 0, "a sound one is"


def test_each_course_of_a_lessons_folder_is_checked_its_problems_named_by_file(tmp_path):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    broken = test_course.write("01-first/es.md", lesson_file(autor="X"))
    guide.lesson("01-start", languages=("pt",))
    also_broken = guide.write("02-next/pt.md", lesson_file(autor="Y"))
    both = run("check", str(root))
    assert both.exit_code == 1
    assert f"{broken}:5:1: error: unknown key 'autor'" in both.output
    assert f"{also_broken}:5:1: error: unknown key 'autor'" in both.output
    assert both.output.splitlines()[-1] == "2 errors, 0 warnings"

    guide_only = run("check", str(root), "--course", "guia")
    assert str(broken) not in guide_only.output and str(also_broken) in guide_only.output
    assert guide_only.output.splitlines()[-1] == "1 error, 0 warnings"
    also_broken.write_text(lesson_file(), encoding="utf-8")
    assert run("check", str(root), "--course", "guia", "--strict").exit_code == 0
    as_json = json.loads(
        run("check", str(root), "--course", "co-production", "--format", "json").output
    )
    assert [problem["path"] for problem in as_json] == [str(broken)]


@pytest.mark.parametrize("command", ["check", "status"])
def test_a_course_the_folder_lacks_is_told_with_those_it_has(tmp_path, command):
    root = tmp_path / "lessons"
    two_courses(root)
    refused = run(command, str(root), "--course", "guide")
    assert refused.exit_code == 1
    assert refused.output == (
        f"error: {root} has no course 'guide' (its courses: co-production, guia)\n"
    ), "a course is named by its slug, not by its folder"


def test_a_lessons_folder_laid_out_as_one_course_is_still_checked_as_before(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",))
    broken = lessons_dir.write("02-second/es.md", lesson_file(autor="X"))
    for arguments in ([], ["--course", "co-production"]):
        result = run("check", str(lessons_dir.root), *arguments)
        assert result.exit_code == 1
        assert f"{broken}:5:1: error: unknown key 'autor'" in result.output
        assert result.output.splitlines()[-1] == "1 error, 2 warnings"


def test_two_courses_with_the_same_slug_are_an_error_naming_both_folders(tmp_path):
    root = tmp_path / "lessons"
    LessonsDir(root / "spring").lesson("01-first")
    LessonsDir(root / "autumn").lesson("01-first")
    result = run("check", str(root))
    assert result.exit_code == 1
    assert (
        f"{root / 'spring' / 'course.yml'}:1:1: error: course slug 'co-production' is also that "
        f"of {root / 'autumn'}: give one another slug"
    ) in result.output


@pytest.mark.parametrize(
    ("folder", "settings", "line"),
    [
        ("course", COURSE_YML.replace("slug: co-production\n", "") + "slug: Co Production\n", 8),
        ("Mi curso", COURSE_YML.replace("slug: co-production\n", ""), 1),
    ],
    ids=["slug", "folder name"],
)
def test_a_course_slug_that_cannot_be_an_address_is_an_error_at_its_line(
    tmp_path, folder, settings, line
):
    root = tmp_path / "lessons"
    course = LessonsDir(root / folder, settings)
    broken = course.write("01-first/es.md", lesson_file(autor="X"))
    result = run("check", str(root))
    assert result.exit_code == 1
    assert (
        f"{course.root / 'course.yml'}:{line}:1: error: a course's slug is made of lower-case "
        "letters without accents, digits and hyphens, as in 'co-production'; name it with "
        "'slug:' in course.yml"
    ) in result.output
    assert f"{broken}:5:1: error: unknown key 'autor'" in result.output, "its lessons still read"


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (
            "\n  es: Un curso.\n  fr: Un cours.\n",
            "'description' has text for 'fr', not a course language",
        ),
        ("\n  es: Un curso.\n  pt:\n", "'description' for 'pt' is empty"),
        (" Un curso.\n", "'description' must give one text per language, e.g. 'es: ...'"),
    ],
)
def test_a_description_is_checked_as_the_title_is(lessons_dir, description, message):
    lessons_dir.lesson("01-first")
    settings = lessons_dir.write("course.yml", COURSE_YML + "description:" + description)
    result = run("check", str(lessons_dir.root))
    assert f"{settings}:9:1: error: {message}" in result.output


def test_a_description_in_some_of_the_courses_languages_is_fine(lessons_dir):
    lessons_dir.lesson("01-first", languages=("es",))
    lessons_dir.write("course.yml", COURSE_YML + "description:\n  es: Un curso.\n")
    assert run("check", str(lessons_dir.root)).output.splitlines()[-1] == "0 errors, 2 warnings"


def test_the_check_of_the_servers_lessons_names_its_default_course(tmp_path, monkeypatch):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first", languages=("es",))
    guide.lesson("01-first", languages=("pt",))
    monkeypatch.setattr(Config, "LESSONS_DIR", str(root))
    monkeypatch.setattr(Config, "DEFAULT_COURSE", "guide")
    result = run("check")
    assert result.exit_code == 1
    assert f"{root}:1:1: error: the default course 'guide' is not in this folder" in result.output
    assert run("check", "--course", "guia").exit_code == 0, "one course: no default to find"


def test_status_reports_course_by_course(tmp_path):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first", languages=("es",))
    guide.lesson("01-start", languages=("pt",))
    lines = run("status", str(root)).output.splitlines()
    assert lines[:5] == [
        "[co-production]",
        "01-first  es: Source text  pt: Missing  en: Missing",
        "[guia]",
        "01-start  pt: Source text",
        "interface: es: 100%  pt: 100%  en: 100%",
    ]
    report = json.loads(run("status", str(root), "--format", "json").output)
    assert [course["slug"] for course in report["courses"]] == ["co-production", "guia"]
    assert "lessons" not in report, "only a single course's report has its lessons at the top"
    report = json.loads(run("status", str(root), "--course", "guia", "--format", "json").output)
    assert report["lessons"] == report["courses"][0]["lessons"]
    assert report["lessons"][0]["languages"] == {"pt": {"state": "source"}}
    assert report["interface"] == {"pt": 100}


def test_a_course_in_portuguese_only_is_served_in_portuguese_only(tmp_path, database_url):
    root = tmp_path / "lessons"
    test_course, guide = two_courses(root)
    test_course.lesson("01-first")
    guide.write("01-start/pt.md", lesson_file("Começar"))
    app = make_app(database_url, tmp_path / "instance", LESSONS_DIR=str(root))
    try:
        visitor = app.test_client()
        spanish = visitor.get("/es/").text
        assert "Curso de prueba" in spanish and "Guia para formadores" not in spanish
        portuguese = visitor.get("/pt/").text
        assert "Curso de teste" in portuguese and "Guia para formadores" in portuguese
        assert "Como escrever uma lição." in portuguese, "with its description"
        assert visitor.get("/pt/courses/guia/").status_code == 200
        assert "Começar" in visitor.get("/pt/courses/guia/lessons/start").text
        for address in ("/es/courses/guia/", "/en/courses/guia/", "/es/courses/guia/lessons/start"):
            assert visitor.get(address).status_code == 404, address
    finally:
        dispose(app)
