"""Template mistakes are reported with the template's name and line, never as a traceback.

Each test replaces one template of a copy of the project with a few known lines, so the
expected line numbers do not move when the real templates change.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import article, build_errors, copy_project, run_cli, write_files

UNDEFINED_HINT = "    hint: check the spelling; the variables a page gets are listed in the README"
SYNTAX_HINT = (
    "    hint: check that each {{ }} and {% %} tag on this line is spelled right and closed"
)
NOT_FOUND_HINT = "    hint: create the template or fix the name in {% extends %} or {% include %}"


def errors_with(
    tmp_path: Path, templates: dict[str, str], files: dict[str, str] | None = None
) -> str:
    """The report of building one article with these templates replacing the project's."""
    project = copy_project(tmp_path / "project", templates)
    content = write_files(tmp_path / "content", files or {"articles/a.md": article()})
    return build_errors(content, project=project)


def test_an_undefined_attribute_names_the_template_line_and_page(tmp_path: Path) -> None:
    article_html = "<h1>{{ page.title }}</h1>\n<p>{{ page.entry.titel }}</p>\n"
    assert errors_with(tmp_path, {"article.html": article_html}) == (
        "templates/article.html:2:1: undefined in template: "
        "'stride.model.Entry object' has no attribute 'titel' (rendering /articles/a/)\n"
        + UNDEFINED_HINT
        + "\n1 error: the build was not written."
    )


def test_an_undefined_name_in_a_shared_partial_is_reported_once(tmp_path: Path) -> None:
    templates = {
        "partials/footer.html": "<footer>\n{{ copyright_year }}\n</footer>\n",
        "article.html": "{% include 'partials/footer.html' %}\n",
        "home.html": "{% include 'partials/footer.html' %}\n",
    }
    report = errors_with(tmp_path, templates)
    assert report.startswith(
        "templates/partials/footer.html:2:1: undefined in template: "
        "'copyright_year' is undefined (rendering "
    )
    assert report.endswith("\n1 error: the build was not written.")


def test_a_syntax_error_is_reported_even_in_an_unused_template(tmp_path: Path) -> None:
    broken = "{% if page %}\n  <p>ok</p>\n{% endiff %}\n"
    assert errors_with(tmp_path, {"partials/unused.html": broken}) == (
        "templates/partials/unused.html:3:1: template syntax error: Encountered unknown tag "
        "'endiff'. Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'.\n"
        + SYNTAX_HINT
        + "\n1 error: the build was not written."
    )


def test_an_unknown_filter_is_a_syntax_error_at_its_line(tmp_path: Path) -> None:
    article_html = "<h1>{{ page.title }}</h1>\n\n{{ page.title | shout }}\n"
    assert errors_with(tmp_path, {"article.html": article_html}) == (
        "templates/article.html:3:1: template syntax error: No filter named 'shout'.\n"
        + SYNTAX_HINT
        + "\n1 error: the build was not written."
    )


def test_a_missing_template_is_reported_where_it_is_named(tmp_path: Path) -> None:
    templates = {
        "article.html": "{% extends 'layout.html' %}\n",
        "athlete.html": "<p>\n{% include 'partials/badge.html' %}\n</p>\n",
        "recipe.html": "<p>1</p>\n<p>2</p>\n{% import 'partials/gone.html' as g %}\n{{ g.x() }}\n",
    }
    files = {
        "articles/a.md": article(),
        "athletes/b.md": (
            "---\ntitle: B\ndate: 2025-01-31\nsummary: S\nname: Bo\nsports: [running]\n---\n"
        ),
        "recipes/c.md": (
            "---\ntitle: C\ndate: 2025-01-31\nsummary: S\ncategory: Drink\nyield: 1\n"
            "servings: 1\nprep_time: 1\ningredients: [{quantity: 1, item: lime}]\n"
            "steps: [{text: Mix.}]\n---\n"
        ),
    }
    assert errors_with(tmp_path, templates, files) == (
        "templates/article.html:1:1: template not found: layout.html\n"
        + NOT_FOUND_HINT
        + "\ntemplates/athlete.html:2:1: template not found: partials/badge.html\n"
        + NOT_FOUND_HINT
        + "\ntemplates/recipe.html:3:1: template not found: partials/gone.html\n"
        + NOT_FOUND_HINT
        + "\n3 errors: the build was not written."
    )


def test_a_page_template_that_does_not_exist(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "templates" / "article.html").unlink()
    content = write_files(tmp_path / "content", {"articles/a.md": article()})
    assert build_errors(content, project=project) == (
        "templates/article.html:1:1: template not found: article.html\n"
        + NOT_FOUND_HINT
        + "\n1 error: the build was not written."
    )


def test_an_expression_that_fails_while_rendering_is_located(tmp_path: Path) -> None:
    article_html = "<h1>{{ page.title }}</h1>\n{{ page.title + 1 }}\n"
    assert errors_with(tmp_path, {"article.html": article_html}) == (
        "templates/article.html:2:1: template error: TypeError: can only concatenate str "
        '(not "int") to str (rendering /articles/a/)\n'
        "    hint: fix the expression on this line, or guard it with {% if %}\n"
        "1 error: the build was not written."
    )


def test_template_and_content_mistakes_are_reported_together(tmp_path: Path) -> None:
    report = errors_with(
        tmp_path,
        {"tag.html": "{% for x in page.entries %}\n{{ x }}\n"},
        {"articles/a.md": article(extra="colour: blue")},
    )
    assert report.splitlines()[0] == "articles/a.md:5:1: unknown key 'colour'"
    assert report.splitlines()[2].startswith("templates/tag.html:2:1: template syntax error:")
    assert report.endswith("2 errors: the build was not written.")


def test_check_reports_template_errors_found_only_by_rendering_and_writes_nothing(
    tmp_path: Path,
) -> None:
    project = copy_project(
        tmp_path / "project", {"article.html": "<p>{{ page.entry.no_such_field }}</p>\n"}
    )
    content = write_files(project / "content", {"articles/a.md": article()})
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = run_cli("check", "--content", content, project=project, cwd=project)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "templates/article.html:1:1: undefined in template: "
        "'stride.model.Entry object' has no attribute 'no_such_field' (rendering /articles/a/)\n"
        + UNDEFINED_HINT
        + "\n1 error: the build was not written.\n"
    )
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
