"""hedgerow.js autocapture in Chromium: each click, change and submit is stored exactly as
PostHog would store it, and nothing private leaves the page."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page

from hedgerow.capture.elements import elements_chain_from_elements

from browser_site import Site, open_page, stored_events
from server import Server

MAIN = 'main.page:attr__class="page"attr__id="main"attr_id="main"nth-child="1"nth-of-type="1"'
BODY = 'body:nth-child="2"nth-of-type="1"'
FORM = 'form:attr__action="#"attr__id="signup"attr_id="signup"nth-child="7"nth-of-type="1"'


def chain(*elements: str) -> str:
    return ";".join(elements)


EMAIL = chain(
    'input:attr__id="email"attr__name="email"attr_id="email"nth-child="1"nth-of-type="1"',
    FORM,
    MAIN,
    BODY,
)
NEWSLETTER = chain(
    'input:attr__id="news"attr__name="newsletter"attr__type="checkbox"attr__value="yes"'
    'attr_id="news"nth-child="4"nth-of-type="3"',
    FORM,
    MAIN,
    BODY,
)

# (event, $event_type, $el_text, elements_chain) for every stored event of the scenario.
EXPECTED = [
    (
        "click",
        "Buy now",
        chain(
            'button.btn.primary:attr__class="btn primary"attr__data-ph-capture-attribute-plan='
            '"pro"attr__id="buy"attr_id="buy"nth-child="1"nth-of-type="1"text="Buy now"',
            MAIN,
            BODY,
        ),
    ),
    (
        "click",
        "Features",
        chain(
            'a:attr__href="#features"attr__id="home"attr_id="home"href="#features"'
            'nth-child="2"nth-of-type="1"text="Features"',
            MAIN,
            BODY,
        ),
    ),
    (
        "click",
        "Docs",
        chain(
            'span.icon:attr__class="icon"attr__href="https://example.com/docs"'
            'href="https://example.com/docs"nth-child="1"nth-of-type="1"text="Docs"',
            'a:attr__href="https://example.com/docs"attr__id="ext"attr_id="ext"'
            'href="https://example.com/docs"nth-child="3"nth-of-type="2"text="Docs"',
            MAIN,
            BODY,
        ),
    ),
    (
        "click",
        "Clickable card",
        chain(
            'div.card:attr__class="card"nth-child="4"nth-of-type="1"text="Clickable card"',
            MAIN,
            BODY,
        ),
    ),
    (
        "click",
        "Email",
        chain('label:attr__for="email"nth-child="6"nth-of-type="1"text="Email"', MAIN, BODY),
    ),
    ("click", None, EMAIL),
    ("change", None, EMAIL),
    (
        "change",
        None,
        chain(
            'input:attr__id="pw"attr__name="password"attr_id="pw"nth-child="2"nth-of-type="2"',
            FORM,
            MAIN,
            BODY,
        ),
    ),
    (
        "change",
        None,
        chain(
            'select:attr__id="plan"attr__name="plan"attr_id="plan"nth-child="3"nth-of-type="1"',
            FORM,
            MAIN,
            BODY,
        ),
    ),
    ("click", None, NEWSLETTER),
    ("change", None, NEWSLETTER),
    (
        "change",
        None,
        chain(
            'textarea:attr__id="msg"attr__name="message"attr_id="msg"nth-child="5"nth-of-type="1"',
            FORM,
            MAIN,
            BODY,
        ),
    ),
    (
        "click",
        "Sign up",
        chain(
            'button:attr__id="go"attr__type="submit"attr_id="go"nth-child="6"nth-of-type="1"'
            'text="Sign up"',
            FORM,
            MAIN,
            BODY,
        ),
    ),
    ("submit", None, chain(FORM, MAIN, BODY)),
    (
        "click",
        "Done",
        chain(
            'button:attr__data-secret="classified"attr__id="done"attr_id="done"nth-child="9"'
            'nth-of-type="2"text="Done"',
            MAIN,
            BODY,
        ),
    ),
]

PASSWORD = "hunter2-Tr0ub4dor&3"
TYPED = {
    "email": "grace.hopper@example.com",
    "message": "my private note about the navy",
    "no-capture note": "nothing from here",
}


def use_the_page(page: Page) -> None:
    """Every interesting element kind, as a person would use them (one action at a time)."""
    page.click("#buy", position={"x": 4, "y": 4})
    page.click("#home")
    page.click("#ext span")
    page.click(".card")
    page.click("#plain")
    page.click("label[for=email]")
    page.fill("#email", TYPED["email"])
    page.press("#email", "Tab")
    page.fill("#pw", PASSWORD)
    page.press("#pw", "Tab")
    page.select_option("#plan", "pro")
    page.check("#news")
    page.fill("#msg", TYPED["message"])
    page.press("#msg", "Tab")
    page.click("#go")
    page.click("#secret")
    page.click("#secret-link")
    page.fill("#secret-input", TYPED["no-capture note"])
    page.press("#secret-input", "Tab")
    page.click("#done")


def summary(row: dict[str, Any]) -> tuple[str, str | None, str]:
    props = row["properties"]
    return (props["$event_type"], props.get("$el_text"), row["elements_chain"])


def test_each_click_change_and_submit_is_stored_exactly(
    server: Server, site: Site, page: Page
) -> None:
    distinct_id = open_page(page, site.url + "/autocapture.html")
    use_the_page(page)

    rows = stored_events(server, distinct_id, len(EXPECTED))

    assert {row["event"] for row in rows} == {"$autocapture"}
    assert sorted(map(summary, rows), key=repr) == sorted(EXPECTED, key=repr)
    for row in rows:
        props = row["properties"]
        assert props["$elements_chain"] == row["elements_chain"]
        # The `$elements` array says the same as the chain, by the server's own builder.
        assert elements_chain_from_elements(props["$elements"]) == row["elements_chain"]
        assert props["$ce_version"] == 1
        assert props["$lib"] == "hedgerow-js"
        if "$el_text" not in props:
            assert not props["$elements"][0].get("$el_text")
    by_text = {row["properties"].get("$el_text"): row["properties"] for row in rows}
    assert by_text["Buy now"]["plan"] == "pro"  # data-ph-capture-attribute-plan
    assert by_text["Docs"]["$external_click_url"] == "https://example.com/docs"
    assert "$external_click_url" not in by_text["Features"]


def test_nothing_typed_and_nothing_from_ph_no_capture_is_stored(
    server: Server, site: Site, page: Page
) -> None:
    distinct_id = open_page(page, site.url + "/autocapture.html")
    use_the_page(page)
    rows = stored_events(server, distinct_id, len(EXPECTED))
    chains = "\n".join(row["elements_chain"] for row in rows)
    assert 'attr__id="secret' not in chains
    assert "ph-no-capture" not in chains

    # Every column of every stored event, and every person, as the API gives them.
    everything = server.query(
        {
            "kind": "EventsQuery",
            "select": ["*", "person_properties", *[f"$group_{i}" for i in range(5)]],
            "limit": 10_000,
        }
    )
    with server.api() as api:
        persons = api.get("/api/projects/1/persons/").json()
    text = json.dumps([everything, persons], ensure_ascii=False)
    assert distinct_id in text  # the search does see this visitor's events
    for typed in [PASSWORD, "hunter2", *TYPED.values()]:
        assert typed not in text


def test_rage_click_is_one_event_per_burst(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(page, site.url + "/autocapture.html")
    box = page.locator(".card").bounding_box()
    assert box is not None
    for dx in (0, 5, 10, 12):  # four quick clicks within 30 px: still one rage click
        page.mouse.click(box["x"] + 20 + dx, box["y"] + 10)
    page.click("#done")

    rows = stored_events(server, distinct_id, 6)
    [rage] = [row for row in rows if row["event"] == "$rageclick"]
    assert rage["properties"]["$event_type"] == "click"
    assert rage["elements_chain"].startswith('div.card:attr__class="card"')
    assert sum(row["event"] == "$autocapture" for row in rows) == 5


def test_masking_options_keep_text_and_attributes_out(
    server: Server, site: Site, page: Page
) -> None:
    config = {"mask_all_text": True, "mask_all_element_attributes": True}
    distinct_id = open_page(page, site.url + "/autocapture.html", config)
    page.click("#ext span")
    page.click("#done")

    rows = stored_events(server, distinct_id, 2)
    assert sorted(row["elements_chain"] for row in rows) == sorted(
        [
            chain(
                'span:nth-child="1"nth-of-type="1"',
                'a:nth-child="3"nth-of-type="2"',
                'main:nth-child="1"nth-of-type="1"',
                BODY,
            ),
            chain('button:nth-child="9"nth-of-type="2"', 'main:nth-child="1"nth-of-type="1"', BODY),
        ]
    )
    assert all("$el_text" not in row["properties"] for row in rows)


def test_autocapture_options_choose_events_elements_and_attributes(
    server: Server, site: Site, page: Page
) -> None:
    config = {
        "autocapture": {
            "dom_event_allowlist": ["click"],
            "element_allowlist": ["button"],
            "element_attribute_ignorelist": ["data-secret"],
        }
    }
    distinct_id = open_page(page, site.url + "/autocapture.html", config)
    page.click(".card")  # not a button
    page.fill("#email", "x@example.com")
    page.press("#email", "Tab")  # a change: not in the allowlist
    page.click("#done")

    [row] = stored_events(server, distinct_id, 1)
    assert row["elements_chain"] == chain(
        'button:attr__id="done"attr_id="done"nth-child="9"nth-of-type="2"text="Done"', MAIN, BODY
    )


def test_autocapture_off_still_sends_page_views(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(
        page, site.url + "/autocapture.html", {"autocapture": False, "capture_pageview": True}
    )
    page.click("#buy")
    page.evaluate("hedgerow.capture('after clicks')")

    rows = stored_events(server, distinct_id, 2)
    assert [row["event"] for row in rows] == ["$pageview", "after clicks"]


def test_card_numbers_ssns_sensitive_elements_and_long_text(
    server: Server, site: Site, page: Page
) -> None:
    main = 'main:attr__id="main"attr_id="main"nth-child="1"nth-of-type="1"'
    distinct_id = open_page(page, site.url + "/privacy.html")
    page.click("#card")
    page.click("#tax-id")
    page.click("#sensitive")
    page.fill("#ccnum", "4111111111111111")
    page.press("#ccnum", "Tab")
    page.click("#long")
    page.click("#secret-href")
    page.click("#noauto")
    page.click("#done")

    rows = stored_events(server, distinct_id, 7)
    x255 = "x" * 255
    assert sorted(map(summary, rows), key=repr) == sorted(
        [
            (
                "click",
                "Pay with now",
                chain(
                    'button:attr__id="card"attr_id="card"nth-child="1"nth-of-type="1"'
                    'text="Pay with now"',
                    main,
                    BODY,
                ),
            ),
            (
                "click",
                "SSN",
                chain(
                    'button:attr__id="tax-id"attr_id="tax-id"nth-child="2"nth-of-type="2"'
                    'text="SSN"',
                    main,
                    BODY,
                ),
            ),
            (
                "click",
                None,
                chain(
                    'button:attr__id="sensitive"attr_id="sensitive"nth-child="1"nth-of-type="1"',
                    'div.ph-sensitive:attr__class="ph-sensitive"nth-child="3"nth-of-type="1"',
                    main,
                    BODY,
                ),
            ),
            (
                "change",
                None,
                chain(
                    'input:attr__id="ccnum"attr__name="cc_number"attr_id="ccnum"nth-child="4"'
                    'nth-of-type="1"',
                    main,
                    BODY,
                ),
            ),
            (
                "click",
                x255,
                chain(
                    f'button:attr__id="long"attr_id="long"nth-child="5"nth-of-type="3"text="{x255}"',
                    main,
                    BODY,
                ),
            ),
            (
                "click",
                None,
                chain(
                    'a.ph-sensitive:attr__class="ph-sensitive"attr__id="secret-href"'
                    'attr_id="secret-href"nth-child="6"nth-of-type="1"',
                    main,
                    BODY,
                ),
            ),
            (
                "click",
                "Done",
                chain(
                    'button:attr__id="done"attr_id="done"nth-child="8"nth-of-type="5"text="Done"',
                    main,
                    BODY,
                ),
            ),
        ],
        key=repr,
    )
    text = json.dumps(rows)
    for secret in ("4111111111111111", "123-45-6789", "Grace", "abc123", "private"):
        assert secret not in text


def test_quotes_are_escaped_in_the_chain(server: Server, site: Site, page: Page) -> None:
    distinct_id = open_page(page, site.url + "/privacy.html")
    page.click("#quoted")

    [row] = stored_events(server, distinct_id, 1)
    assert row["elements_chain"] == chain(
        r'button.bq:attr__class="b\"q"attr__id="quoted"attr__title="say \"hi\" \"there\""'
        r'attr_id="quoted"nth-child="9"nth-of-type="6"text="Say \"hi\""',
        'main:attr__id="main"attr_id="main"nth-child="1"nth-of-type="1"',
        BODY,
    )
    assert elements_chain_from_elements(row["properties"]["$elements"]) == row["elements_chain"]
