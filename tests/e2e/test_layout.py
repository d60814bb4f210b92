"""What the newcomer's review found broken in the layout, measured in the browser: a quiz
question's box, the progress box's spacing, the header on a phone and on a desktop, the
dashboard's filters and charts, and the translations page on a phone."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import WIDTHS
from tests.e2e.test_learner import ACKNOWLEDGE, LESSON_1
from tests.e2e.test_staff import sign_in

pytestmark = pytest.mark.e2e

# Each question's legend against its fieldset's border box: a wrapped legend used to sit in
# the top border, which then began part-way down the question, with its text hanging out.
LEGENDS = """() => [...document.querySelectorAll('.question')].map(fieldset => {
  const box = fieldset.getBoundingClientRect(), legend = fieldset.querySelector('legend')
    .getBoundingClientRect(), lines = Math.round(legend.height
    / parseFloat(getComputedStyle(fieldset.querySelector('legend')).lineHeight));
  return {lines, inside: legend.top >= box.top + 1 && legend.left >= box.left + 1
    && legend.right <= box.right - 1}; })"""

# The space between the progress box's border and its first and last visible lines.
BOX_SPACING = """() => {
  const box = document.querySelector('#lesson-status'), border = box.getBoundingClientRect();
  const shown = [...box.children].filter(child => getComputedStyle(child).position !== 'absolute');
  return [shown[0].getBoundingClientRect().top - border.top,
          border.bottom - shown[shown.length - 1].getBoundingClientRect().bottom]; }"""

# How many rows the header's parts are laid in: a part that starts below the bottom of
# every part before it starts a row.
HEADER_ROWS = """() => { let rows = 0, bottom = -Infinity;
  for (const box of [...document.querySelector('.header-row').children]
      .filter(part => part.getClientRects().length).map(part => part.getBoundingClientRect())
      .sort((one, other) => one.top - other.top)) {
    if (box.top >= bottom - 1) rows += 1;
    bottom = Math.max(bottom, box.bottom); }
  return rows; }"""


def test_quiz_boxes_progress_box_and_header_keep_their_shape(visit):
    page, _ = visit.page, visit._
    sign_in(visit, visit.site.staff["admin"])
    visit.open(f"/en/courses/co-production/lessons/{LESSON_1.slug}")
    if page.get_by_role("button", name=_(ACKNOWLEDGE)).count():
        visit.submit_form_with(_(ACKNOWLEDGE))

    legends = page.evaluate(LEGENDS)
    assert any(legend["lines"] >= 2 for legend in legends), "a question long enough to wrap"
    assert all(legend["inside"] for legend in legends), legends

    above, below = page.evaluate(BOX_SPACING)
    assert abs(above - below) <= 1, f"{above} px above the progress text, {below} below"

    # A desktop: the course, the links and the languages on one row, on a staff page too.
    assert page.evaluate(HEADER_ROWS) == 1
    visit.open("/en/admin/")
    assert page.evaluate(HEADER_ROWS) == 1, "the languages on a row of their own"

    # A phone: the name, then the languages beside a menu that opens into a column of links
    # a finger high each, none of them left alone on a ragged row.
    page.set_viewport_size(WIDTHS["phone"])
    assert page.evaluate(HEADER_ROWS) == 2
    administration = page.get_by_role("link", name=_("Administration"))
    assert not administration.is_visible()
    page.get_by_text(_("Menu")).click()
    links = page.locator(".site-menu .account-nav > *")
    boxes = [links.nth(index).bounding_box() for index in range(links.count())]
    assert administration.is_visible()
    assert len({round(box["x"]) for box in boxes}) == 1, "one column"
    assert all(box["height"] >= 40 for box in boxes), boxes


# Every filter control's height, and where its bottom is.
FILTER_CONTROLS = """() => [...document.querySelectorAll(
  '.filters select, .filters input, .filters button')]
  .filter(control => control.type !== 'hidden').map(control => {
    const box = control.getBoundingClientRect(); return [Math.round(box.height),
    Math.round(box.bottom)]; })"""

# Whatever in a chart reaches past its figure's right edge (a value, the caption).
CHART_CUT = """() => [...document.querySelectorAll('.chart')].flatMap(figure => {
  const edge = figure.getBoundingClientRect().right;
  return [...figure.querySelectorAll('.chart-value, .chart-label, figcaption')]
    .filter(part => part.getBoundingClientRect().right > edge + 0.5)
    .map(part => part.textContent.trim()); })"""


def test_dashboard_filters_line_up_and_charts_fit_a_phone_and_translations_fit_too(visit):
    page = visit.page
    sign_in(visit, visit.site.staff["admin"])
    visit.open("/en/admin/")
    controls = page.evaluate(FILTER_CONTROLS)
    assert len({height for height, _bottom in controls}) == 1, f"heights differ: {controls}"
    first_row = [bottom for _height, bottom in controls if bottom == controls[0][1]]
    assert len(first_row) >= 4, "drop-downs and date fields share their row's baseline"
    for width in visit.each_width():
        assert page.evaluate(CHART_CUT) == [], f"cut off at {width} width"

    page.set_viewport_size(WIDTHS["phone"])
    visit.open("/en/author/courses/co-production/translations")
    region = page.locator(".table-scroll").first
    assert region.evaluate("element => element.scrollWidth <= element.clientWidth"), (
        "the matrix fits a phone without scrolling"
    )
    assert page.locator("td.state-source").count() >= 1
