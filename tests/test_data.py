"""Tests of analysis/data.py: the normaliser, the facts against the article, the schema rules, the CLI."""
from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from analysis import data, paths
from analysis.errors import DataValidationError

ROOT = paths.ROOT


def read_facts_raw() -> list[dict]:
    """facts.csv as plain strings, independent of the loader."""
    with paths.data_file("facts.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- the normaliser --------------------------------------------------------------------------------


def _package_resources() -> list:
    """The resources of the real datapackage.json (read as JSON, not through analysis.data)."""
    import json as _json

    return _json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))["resources"]


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("菌段200万段", [(200 * 10_000, "exact")]),
        ("拿出80万段木耳份额", [(80 * 10_000, "exact")]),
        ("投资500余万元", [(500 * 10_000, "at_least")]),
        ("投资30多万元", [(30 * 10_000, "at_least")]),
        ("十多万元的债务", [(10 * 10_000, "at_least")]),
        ("每月收入近四千元", [(4 * 1000, "approximately")]),
        ("企业占40%", [(40 / 100, "exact")]),
        ("三个工作组", [(3, "exact")]),
        ("每个组安排一名", [(1, "exact")]),
        ("两个作用", [(2, "exact")]),
        ("“双组长”", [(2, "exact")]),
        ("绩效奖金减半", [(1 / 2, "exact")]),
        ("最高达到200人/日", [(200, "at_most")]),
        ("长期工40余人", [(40, "at_least")]),
        ("三十道河", [(3 * 10, "exact")]),
        ("贫困户243户690人", [(243, "exact"), (690, "exact")]),
        ("2017年底,113户", [(2017, "exact"), (113, "exact")]),
        ("没有数字", []),
    ],
)
def test_parse_quote_numbers(quote, expected):
    parsed = [(p.value, p.qualifier) for p in data.parse_quote_numbers(quote)]
    assert len(parsed) == len(expected)
    for (value, qualifier), (want_value, want_qualifier) in zip(parsed, expected):
        assert math.isclose(value, want_value) and qualifier == want_qualifier


@pytest.mark.parametrize(
    ("numeral", "expected"),
    [("十", 10), ("十五", 10 + 5), ("三十", 3 * 10), ("二百五十", 2 * 100 + 5 * 10), ("四千", 4 * 1000), ("两", 2)],
)
def test_parse_chinese_numeral(numeral, expected):
    assert data.parse_chinese_numeral(numeral) == expected


def test_check_value_against_quote_rules():
    assert data.check_value_against_quote("5000000", "yuan", "at_least", "投资500余万元") is None
    assert data.check_value_against_quote("500", "yuan", "at_least", "投资500余万元") == (
        "500 does not match its quote '投资500余万元' (parsed: 5000000 at_least)"
    )
    assert data.check_value_against_quote("5000000", "yuan", "exact", "投资500余万元") == (
        "qualifier exact does not match its quote '投资500余万元' (parsed: 5000000 at_least)"
    )
    assert data.check_value_against_quote("08-16", "month_day", "exact", "“8.16”水灾") is None
    assert data.check_value_against_quote("08-17", "month_day", "exact", "“8.16”水灾") == (
        "'08-17' does not match a month.day in its quote '“8.16”水灾'"
    )
    assert data.check_value_against_quote("长沙村", "text", "exact", "大堡村党员") == (
        "'长沙村' does not occur in its quote '大堡村党员'"
    )


# --- the facts against the article -------------------------------------------------------------------

def test_article_has_six_paragraphs_title_first_byline_second(article_paragraphs):
    assert len(article_paragraphs) == 6
    assert article_paragraphs[0].startswith("辽宁清原")
    assert article_paragraphs[1].startswith("来源:共产党员网")


def test_every_quote_occurs_verbatim_in_its_paragraph(article_paragraphs):
    for row in read_facts_raw():
        paragraph = int(row["source_paragraph"])
        assert 1 <= paragraph <= len(article_paragraphs), row["fact_id"]
        assert row["source_quote"] in article_paragraphs[paragraph - 1], row["fact_id"]
        assert len(row["source_quote"]) <= 30, row["fact_id"]


def test_every_numeric_value_equals_its_quote_after_normalisation(article_paragraphs):
    numeric = [r for r in read_facts_raw() if r["unit"] not in data.NON_NUMERIC_UNITS]
    assert len(numeric) == 46
    for row in numeric:
        parsed = data.parse_quote_numbers(row["source_quote"])
        assert any(
            math.isclose(p.value, float(row["value"])) and p.qualifier == row["qualifier"] for p in parsed
        ), row["fact_id"]


def test_facts_are_in_article_order(article_paragraphs):
    rows = read_facts_raw()
    keys = [(int(r["source_paragraph"]), article_paragraphs[int(r["source_paragraph"]) - 1].find(r["source_quote"])) for r in rows]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("fact_id", "value", "unit", "qualifier", "paragraph"),
    [
        ("villages_total", 10, "villages", "exact", 4),
        ("dabao_fungus_area_mu", 35, "mu", "exact", 5),
        ("changsha_ginseng_area_mu", 1500, "mu", "exact", 5),
        ("changsha_ginseng_member_households", 26, "households", "exact", 5),
        ("changsha_ginseng_households_out_of_poverty", 6, "households", "exact", 5),
        ("tianfu_contract_years", 13, "years", "exact", 6),
        ("tianfu_investment_yuan", 500 * 10_000, "yuan", "at_least", 6),
        ("tianfu_land_rent_yuan_per_mu", 500, "yuan_per_mu", "exact", 6),
        ("tianfu_land_transferred_mu", 180, "mu", "exact", 6),
        ("tianfu_segments_produced", 200 * 10_000, "segments", "exact", 6),
        ("tianfu_ground_fungus_area_mu", 150, "mu", "exact", 6),
        ("tianfu_segments_for_poor", 80 * 10_000, "segments", "exact", 6),
        ("poor_households_registered", 243, "households", "exact", 6),
        ("poor_persons_registered", 690, "persons", "exact", 6),
        ("tianfu_long_term_workers", 40, "persons", "at_least", 6),
        ("tianfu_temporary_workers_max_per_day", 200, "persons_per_day", "at_most", 6),
        ("profit_share_enterprise", 40 / 100, "share", "exact", 6),
        ("profit_share_villages", 60 / 100, "share", "exact", 6),
        ("households_out_of_poverty_2017", 113, "households", "exact", 6),
        ("persons_income_increased_2017", 300, "persons", "at_least", 6),
        ("cooperative_monthly_income_yuan", 4 * 1000, "yuan_per_month", "approximately", 5),
        ("case_poultry_shed_investment_yuan", 30 * 10_000, "yuan", "at_least", 5),
        ("case_debt_yuan", 10 * 10_000, "yuan", "at_least", 5),
        ("working_groups", 3, "groups", "exact", 4),
        ("village_cadre_bonus_factor_if_failed", 0.5, "ratio", "exact", 4),
        ("sanshidaohe_party_members_renting", 6, "persons", "exact", 6),
        ("sanshidaohe_houses_rented_households", 20, "households", "exact", 6),
    ],
)
def test_required_facts(fact_id, value, unit, qualifier, paragraph):
    found = data.fact(fact_id)
    assert (found.value, found.unit, found.qualifier, found.source_paragraph) == (value, unit, qualifier, paragraph)
    assert data.fact_value(fact_id) == value


def test_dated_and_text_facts():
    assert data.fact("households_out_of_poverty_2017").as_of == date(2017, 12, 31)
    assert data.fact("persons_income_increased_2017").as_of == date(2017, 12, 31)
    assert data.fact("source_date").value == "2018-06-04"
    assert data.fact("source_date").source_paragraph == 2  # the byline is paragraph 2
    assert data.fact("title_joint_forces").source_paragraph == 1
    assert data.fact("flood_date").value == "08-16"
    assert data.fact("enterprise_name").value == "天福菌业有限公司"


def test_reconciliation_between_facts():
    v = data.fact_value
    assert v("profit_share_enterprise") + v("profit_share_villages") == pytest.approx(0.4 + 0.6)
    assert v("profit_share_enterprise") + v("profit_share_villages") == pytest.approx(1.0)
    assert v("households_out_of_poverty_2017") <= v("poor_households_registered")  # 113 <= 243
    assert v("poor_persons_registered") / v("poor_households_registered") == pytest.approx(690 / 243)  # 2.8395...
    assert round(v("poor_persons_registered") / v("poor_households_registered"), 2) == 2.84
    assert v("tianfu_segments_for_poor") <= v("tianfu_segments_produced")  # 800,000 <= 2,000,000
    assert v("tianfu_ground_fungus_area_mu") <= v("tianfu_land_transferred_mu")  # 150 <= 180 mu
    assert v("changsha_ginseng_households_out_of_poverty") <= v("changsha_ginseng_member_households")  # 6 <= 26
    assert v("villages_sharing_profit") == v("villages_total") == v("villages_administrative") == 10


# --- entity tables -----------------------------------------------------------------------------------

def test_villages_four_named_and_six_unnamed():
    villages = data.load_table("villages")
    assert villages["village_id"].tolist() == ["dabao", "changsha", "nantianmen", "sanshidaohe"]
    assert villages["name_zh"].tolist() == ["大堡村", "长沙村", "南天门村", "三十道河村"]
    assert data.count_unnamed_villages() == 10 - 4


def test_organisation_children_match_counted_groups():
    orgs = data.load_table("organisations")
    working = orgs[(orgs["kind"] == "working_group") & (orgs["parent_org_id"] == "leadership_group")]
    party_groups = orgs[(orgs["kind"] == "party_group") & (orgs["parent_org_id"] == "industry_party_branch")]
    assert len(working) == data.fact_value("working_groups") == 3
    assert len(party_groups) == data.fact_value("industry_party_branch_groups") == 3


def test_working_group_links_are_implied_party_group_links_stated():
    # The article: 党委书记带头亲自抓,成立...三个工作组 (no 下设 under the leading group) -> implied;
    # 大苏河乡产业扶贫党支部,下设...三个党小组 -> stated.
    orgs = data.load_table("organisations").set_index("org_id")
    assert orgs.loc[orgs["kind"] == "working_group", "parent_basis"].tolist() == ["implied"] * 3
    assert orgs.loc[orgs["kind"] == "party_group", "parent_basis"].tolist() == ["stated"] * 3


def test_english_glosses_say_wood_ear_not_black_fungus():
    # 木耳 -> "wood-ear", 黑木耳 -> "black wood-ear", as in the model and the figures.
    for name in ["facts", "villages", "village_industries", "organisations", "contract_terms", "cases", "poverty_outcomes"]:
        table = data.load_table(name)
        for column in [c for c in table.columns if c.endswith("_en")]:
            assert not table[column].str.contains("black fungus", case=False).any(), (name, column)
    industries = data.load_table("village_industries").set_index(["village_id", "industry_zh"])
    assert industries.loc[("dabao", "黑木耳"), "industry_en"] == "black wood-ear"
    assert industries.loc[("sanshidaohe", "木耳"), "industry_en"] == "wood-ear"


@pytest.mark.parametrize(("table", "column"), [("facts", "note_zh"), ("cases", "story_zh"),
                                             ("contract_terms", "term_zh"), ("assumption_sources", "title_zh"),
                                             ("assumptions", "note_zh")])
def test_chinese_columns_are_chinese_for_every_row(table, column):
    # the Chinese edition's words for what the English columns say: Chinese on every row, no English
    # sentence (identifiers such as yanbian_2014 and the article's own Latin letters aside)
    values = data.load_table(table)[column]
    assert values.str.contains(r"[\u4e00-\u9fff]").all()
    english = values.str.replace(r"\w*_\w*", " ", regex=True).str.contains(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")
    assert values[english].tolist() == []


def test_with_fact_values_resolves_area_mu():
    industries = data.with_fact_values(data.load_table("village_industries")).set_index(["village_id", "industry_id"])
    assert industries.loc[("dabao", "black_fungus"), "area_mu"] == 35.0
    assert industries.loc[("changsha", "field_ginseng"), "area_mu"] == 1500.0
    assert math.isnan(industries.loc[("nantianmen", "rafting_tourism"), "area_mu"])


def test_cases_keep_personal_names_inside_quotes_only():
    cases = data.load_table("cases")
    assert cases.shape == (5, 10)
    for name in ["周亮升", "杨国江", "李伟", "孙叶梅"]:
        assert cases["source_quote"].str.contains(name).any()
        for column in ["case_id", "role_en", "role_zh", "story_en", "story_zh"]:
            assert not cases[column].str.contains(name).any()


# --- loader API ----------------------------------------------------------------------------------------

def test_load_facts_types():
    facts = data.load_facts()
    assert facts.shape == (131, 14)  # the 13 columns of facts.csv and value_number
    assert str(facts["source_paragraph"].dtype) == "int64"
    assert str(facts["value_number"].dtype) == "float64"
    by_id = facts.set_index("fact_id")
    assert by_id.loc["tianfu_segments_for_poor", "value_number"] == 800_000.0
    assert math.isnan(by_id.loc["enterprise_name", "value_number"])


def test_unknown_and_text_fact_ids_raise_one_line():
    with pytest.raises(DataValidationError) as info:
        data.fact_value("no_such_fact")
    assert str(info.value) == "facts.csv: row -, column fact_id: unknown fact_id 'no_such_fact'"
    with pytest.raises(DataValidationError) as info:
        data.fact_value("enterprise_name")
    assert str(info.value) == "facts.csv: row -, column value: fact 'enterprise_name' is not numeric (unit text)"


def test_load_assumptions_is_keyed_by_name():
    if not paths.data_file("assumptions.csv").is_file():
        pytest.skip("data/assumptions.csv not written yet")
    assumptions = data.load_assumptions()
    assert assumptions.index.tolist() == assumptions["name"].tolist()
    assert assumptions.index.is_unique


# --- each kind of bad input rejected with its exact message ---------------------------------------------

@pytest.mark.parametrize(
    ("file", "key", "column", "bad", "rule"),
    [
        ("facts.csv", "dabao_fungus_area_mu", "source_paragraph", "five", "'five' is not a valid integer"),
        ("facts.csv", "dabao_fungus_area_mu", "unit", "", "missing required value"),
        ("facts.csv", "dabao_fungus_area_mu", "qualifier", "about", "'about' is not one of: exact, at_least, approximately, at_most"),
        ("facts.csv", "dabao_fungus_area_mu", "unit", "hectares", None),
        ("facts.csv", "dabao_fungus_area_mu", "source_paragraph", "0", "0 is below minimum 1"),
        ("facts.csv", "dabao_fungus_area_mu", "source_paragraph", "7", "7 is out of range 1-6 (article paragraphs)"),
        ("facts.csv", "dabao_fungus_area_mu", "source_quote", "发展木耳36亩", "'发展木耳36亩' does not occur verbatim in article paragraph 5"),
        ("facts.csv", "dabao_fungus_area_mu", "value", "36", "36 does not match its quote '入股发展木耳35亩' (parsed: 35 exact)"),
        ("facts.csv", "tianfu_investment_yuan", "qualifier", "exact", "qualifier exact does not match its quote '该龙头企业投资500余万元' (parsed: 5000000 at_least)"),
        ("facts.csv", "source_date", "as_of", "2017-13-01", "'2017-13-01' is not a valid date"),
        ("villages.csv", "dabao", "fact_id", "no_such_fact", "'no_such_fact' not found in facts.fact_id"),
        ("villages.csv", "dabao", "name_zh", "小堡村", "'小堡村' does not occur in the value of fact 'village_name_dabao'"),
        ("village_industries.csv", "dabao", "area_mu_fact_id", "changsha_ginseng_member_households",
         "fact 'changsha_ginseng_member_households' has unit households, column expects mu"),
        ("organisations.csv", "wg_flood_control", "parent_org_id", "no_such_org", "'no_such_org' not found in organisations.org_id"),
        ("cases.csv", "poultry_farmer_couple", "role_zh", "党员", "'党员' does not occur in source_quote '村民孙叶梅原是村里养鸡大户'"),
    ],
)
def test_bad_cell_is_rejected_with_exact_message(data_copy, set_cell, file, key, column, bad, rule):
    line = set_cell(data_copy, file, key, column, bad)
    if rule is None:  # unknown unit: the message lists the enum of the schema
        units = next(f for f in data.read_schema("facts")["fields"] if f["name"] == "unit")["constraints"]["enum"]
        rule = f"'hectares' is not one of: {', '.join(units)}"
    with pytest.raises(DataValidationError) as info:
        data.validate_package(data_copy)
    assert str(info.value) == f"{file}: row {line}, column {column}: {rule}"


def test_duplicate_fact_id_is_rejected(data_copy, set_cell):
    line = set_cell(data_copy, "facts.csv", "changsha_ginseng_area_mu", "fact_id", "dabao_fungus_area_mu")
    first = set_cell(data_copy, "facts.csv", "dabao_fungus_area_mu", "fact_id", "dabao_fungus_area_mu")
    with pytest.raises(DataValidationError) as info:
        data.load_facts(data_copy)
    assert str(info.value) == (
        f"facts.csv: row {line}, column fact_id: duplicate value 'dabao_fungus_area_mu' (first at row {first})"
    )


def test_missing_file_is_rejected(data_copy):
    (data_copy / "villages.csv").unlink()
    with pytest.raises(DataValidationError) as info:
        data.validate_package(data_copy)
    assert str(info.value) == "villages.csv: row 1, column -: file not found"


def test_absent_article_skips_provenance_visibly_but_keeps_schema_checks(data_copy, set_cell, tmp_path):
    missing = tmp_path / "no-article.txt"
    set_cell(data_copy, "facts.csv", "dabao_fungus_area_mu", "value", "36")  # only provenance could catch this
    checks = data.validate_package(data_copy, missing)
    assert str(checks[0]) == "facts: 131 rows, schema ok; provenance not checked"
    assert str(data.provenance_status(missing)) == f"provenance not checked: article not found at {missing}"
    assert data.provenance_status(missing).checked is False
    line = set_cell(data_copy, "facts.csv", "dabao_fungus_area_mu", "unit", "")
    data.clear_caches()
    with pytest.raises(DataValidationError) as info:
        data.validate_package(data_copy, missing)
    assert str(info.value) == f"facts.csv: row {line}, column unit: missing required value"


# --- command line ---------------------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "validate", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_cli_validate_ok():
    result = run_cli()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-1] == "ok"
    assert lines[0].startswith("facts: 131 rows, schema ok")


def test_cli_validate_bad_data_exits_2_with_one_line(data_copy, set_cell):
    line = set_cell(data_copy, "facts.csv", "tianfu_contract_years", "qualifier", "roughly")
    result = run_cli("--data-dir", str(data_copy))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: facts.csv: row {line}, column qualifier: 'roughly' is not one of: exact, at_least, approximately, at_most"
    ]


@pytest.mark.slow
def test_frictionless_validates_the_package():
    if not paths.data_file("assumptions.csv").is_file() or not paths.data_file("assumption_sources.csv").is_file():
        pytest.skip("assumptions CSVs not written yet: frictionless would fail on them")
    frictionless = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(frictionless), "validate", str(paths.DATAPACKAGE)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]


def test_header_not_matching_schema_is_rejected(data_copy):
    path = data_copy / "contract_terms.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("term_id,term_en,term_zh,fact_id", "term_id,term,term_zh,fact_id", 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        data.load_table("contract_terms", data_copy)
    assert str(info.value) == (
        "contract_terms.csv: row 1, column -: header ['term_id', 'term', 'term_zh', 'fact_id'] "
        "does not match schema fields ['term_id', 'term_en', 'term_zh', 'fact_id']"
    )


def test_unknown_resource_and_unsupported_type_are_rejected(data_copy):
    with pytest.raises(DataValidationError) as info:
        data.load_table("no_such_table", data_copy)
    assert str(info.value) == "datapackage.json: row 1, column resources: no resource named 'no_such_table'"
    schema = data_copy / "schemas" / "case_facts.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"type": "string"', '"type": "geopoint"', 1), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        data.load_table("case_facts", data_copy)
    assert str(info.value) == (
        "schemas/case_facts.json: row 1, column case_id: unsupported type 'geopoint' "
        "(supported: string, integer, number, date, year, boolean)"
    )


def test_load_table_never_warns_and_records_the_missing_article(data_copy, tmp_path):
    import warnings

    absent = tmp_path / "absent.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a page must never show a warning
        facts = data.load_table("facts", data_copy, absent)
    assert len(facts) == 131
    assert data.provenance_status(absent) == data.Provenance(absent, None)


def test_missing_schema_is_named_by_its_path_in_the_data_folder(data_copy):
    (data_copy / "schemas" / "case_facts.json").unlink()
    with pytest.raises(DataValidationError) as info:
        data.load_table("case_facts", data_copy)
    assert str(info.value) == "schemas/case_facts.json: row 1, column -: file not found"


def test_read_resources_lists_the_package_in_order():
    import json

    package = json.loads(paths.DATAPACKAGE.read_text(encoding="utf-8"))
    resources = data.read_resources()
    assert [r["name"] for r in resources] == [r["name"] for r in package["resources"]]
    assert resources[0]["schema"] == f"schemas/{resources[0]['name']}.json"


def test_resource_without_schema_is_rejected_in_one_line(data_copy):
    import json

    package = json.loads((data_copy / "datapackage.json").read_text(encoding="utf-8"))
    del package["resources"][1]["schema"]
    (data_copy / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        data.validate_package(data_copy)
    assert str(info.value) == (
        "datapackage.json: row 1, column resources: resource 2 has no 'schema' (name, path and schema are required)"
    )


# --- garbage in: every bad input is one line naming the file, row/column and the rule ------------------

def _edit_json(path: Path, change) -> None:
    """Rewrite a JSON file of a data copy: *change(obj)* edits it in place or returns a replacement."""
    import json

    obj = json.loads(path.read_text(encoding="utf-8"))
    replaced = change(obj)
    path.write_text(json.dumps(obj if replaced is None else replaced, ensure_ascii=False), encoding="utf-8")


def _rejection(data_dir: Path, article: Path | None = None) -> str:
    data.clear_caches()
    with pytest.raises(DataValidationError) as info:
        data.validate_package(data_dir, article)
    return str(info.value)


def test_latin1_byte_in_a_csv_names_row_column_and_byte_offset(data_copy):
    path = data_copy / "villages.csv"
    raw = path.read_bytes().replace("大堡村".encode(), "café".encode("latin-1"), 1)  # é = 0xe9 in Latin-1
    path.write_bytes(raw)
    offset = raw.index(b"caf") + len("caf")  # the byte after 'caf'
    assert _rejection(data_copy) == (f"villages.csv: row 2, column name_zh: invalid UTF-8 byte 0xe9 at byte offset "
                                     f"{offset} (the file must be UTF-8)")


def test_invalid_utf8_in_the_header_is_row_1(data_copy):
    path = data_copy / "villages.csv"
    path.write_bytes(b"\xff" + path.read_bytes())
    assert _rejection(data_copy) == ("villages.csv: row 1, column -: invalid UTF-8 byte 0xff at byte offset 0 "
                                     "(the file must be UTF-8)")


def test_a_byte_order_mark_is_accepted(data_copy):
    path = data_copy / "villages.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as spreadsheet programs save "UTF-8 CSV"
    data.clear_caches()
    assert str(data.validate_package(data_copy)[3]) == "villages: 4 rows, schema ok"


def test_binary_and_non_utf8_articles_are_refused_in_one_line(data_copy, tmp_path):
    binary = tmp_path / "article.bin"
    binary.write_bytes(b"\x7fELF\x00\x01")
    assert _rejection(data_copy, binary) == (f"{binary}: line 1, byte offset 4: NUL byte "
                                             "(a binary file, not the article's UTF-8 text)")
    gbk = tmp_path / "article-gbk.txt"
    gbk.write_bytes(b"title\n" + "辽宁清原".encode("gbk"))  # GBK 辽 = c1 c9: 0xc1 never starts UTF-8
    assert _rejection(data_copy, gbk) == (f"{gbk}: line 2, byte offset 6: invalid UTF-8 byte 0xc1 "
                                          "(the article must be UTF-8 text)")  # offset 6 = len("title\n")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda p: [], "row 1, column -: must be a JSON object (a data package), not a list"),
        (lambda p: {**p, "resources": "facts.csv"}, "row 1, column resources: must be a list of resources, not a string"),
        (lambda p: {**p, "resources": {}}, "row 1, column resources: must be a list of resources, not an object"),
        (lambda p: {"name": p["name"]}, "row 1, column resources: missing (a list of resources is required)"),
        (lambda p: p["resources"].insert(1, "facts"), "row 1, column resources: resource 2 is a string, not an object"),
        (lambda p: p["resources"].append(dict(p["resources"][0])),
         f"row 1, column resources: resource {len(_package_resources()) + 1} repeats the name 'facts' (resource 1)"),
        (lambda p: p["resources"][0].update(encoding="latin-1"),
         "row 1, column resources: resource 1 encoding 'latin-1' is not supported (the package is UTF-8)"),
        (lambda p: p["resources"][0].update(dialect={"delimiter": ";"}),
         "row 1, column resources: resource 1 must be a plain CSV (format 'csv', no dialect)"),
        (lambda p: p["resources"][0].update(path=["facts.csv"]),
         "row 1, column resources: resource 1 has no 'path' (name, path and schema are required)"),
    ],
)
def test_datapackage_json_of_the_wrong_shape_is_one_line(data_copy, change, rule):
    _edit_json(data_copy / "datapackage.json", change)
    assert _rejection(data_copy) == f"datapackage.json: {rule}"


def test_broken_json_is_one_line(data_copy):
    (data_copy / "datapackage.json").write_text('{"resources": [\n  {"name": "facts",\n', encoding="utf-8")
    # the text ends after line 2: JSON expects more on line 3
    assert _rejection(data_copy) == "datapackage.json: row 3, column -: invalid JSON: Expecting property name enclosed in double quotes"
    (data_copy / "datapackage.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert _rejection(data_copy) == "datapackage.json: row 1, column -: invalid JSON: nested too deeply"


def _field(schema: dict, name: str) -> dict:
    return next(f for f in schema["fields"] if f["name"] == name)


FACT_FIELDS = ("fact_id, topic, subject, attribute, value, unit, qualifier, as_of, source_id, source_paragraph, "
               "source_quote, note_en, note_zh")
SOURCE_FIELDS = ("source_id, title_zh, publisher_zh, publisher_en, date_published, repost_url, date_accessed, "
                 "language, licence_note, locator_note")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (lambda s: s["fields"][2].pop("name") and None, "column fields: field 3 has no 'name' (a non-empty string is required)"),
        (lambda s: s["fields"].__setitem__(2, "subject"), "column fields: field 3 is a string, not an object"),
        (lambda s: s["fields"].append(dict(s["fields"][0])), "column fields: field 14 repeats the name 'fact_id'"),
        (lambda s: s.update(fields={}), "column fields: must be a non-empty list of fields"),
        (lambda s: [s], "column -: must be a JSON object (a Table Schema), not a list"),
        (lambda s: _field(s, "source_paragraph")["constraints"].update(minimum="one"),
         'column source_paragraph: constraint minimum "one" is not a valid integer'),
        (lambda s: _field(s, "source_paragraph")["constraints"].update(minimum=[1]),
         "column source_paragraph: constraint minimum [1] is not a valid integer"),
        (lambda s: _field(s, "source_paragraph")["constraints"].update(maximum=1.5),
         "column source_paragraph: constraint maximum 1.5 is not a valid integer"),
        (lambda s: _field(s, "source_paragraph")["constraints"].update(minimum=True),
         "column source_paragraph: constraint minimum true is not a valid integer"),
        (lambda s: _field(s, "source_quote")["constraints"].update(maximum=5),
         "column source_quote: constraint maximum does not apply to type string"),
        (lambda s: _field(s, "fact_id")["constraints"].update(pattern="[a-"),
         "column fact_id: constraint pattern '[a-' is not a valid regular expression: unterminated character set at position 0"),
        (lambda s: _field(s, "fact_id")["constraints"].update(pattern=5), "column fact_id: constraint pattern must be a string, not a number"),
        (lambda s: _field(s, "source_quote")["constraints"].update(maxLength="30"),
         'column source_quote: constraint maxLength "30" is not a non-negative integer'),
        (lambda s: _field(s, "fact_id")["constraints"].update(maxLenght=30),
         "column fact_id: constraint 'maxLenght' is not supported (supported: required, unique, enum, pattern, "
         "minLength, maxLength, minimum, maximum)"),
        (lambda s: _field(s, "fact_id")["constraints"].update(required="yes"),
         'column fact_id: constraint required must be true or false, not "yes"'),
        (lambda s: _field(s, "qualifier")["constraints"].update(enum="exact"),
         'column qualifier: constraint enum must be a non-empty list of strings or numbers, not "exact"'),
        (lambda s: _field(s, "fact_id").update(constraints=["required"]), "column fact_id: constraints must be an object, not a list"),
        (lambda s: s.update(primaryKey=["fact_key"]),
         f"column primaryKey: primaryKey names an unknown field 'fact_key' (fields: {FACT_FIELDS})"),
        (lambda s: s.update(primaryKey=7), "column primaryKey: primaryKey must be a field name or a list of field names"),
        (lambda s: s["foreignKeys"][0].update(fields="source"),
         f"column foreignKeys: foreign key 1 names an unknown field 'source' (fields: {FACT_FIELDS})"),
        (lambda s: s["foreignKeys"][0]["reference"].update(fields="id"),
         f"column foreignKeys: foreign key 1 references unknown field 'id' of resource 'source' (fields: {SOURCE_FIELDS})"),
        (lambda s: s["foreignKeys"][0]["reference"].update(resource="sources"),
         "column foreignKeys: foreign key 1 references unknown resource 'sources'"),
        (lambda s: s["foreignKeys"][0].pop("reference") and None, "column foreignKeys: foreign key 1 needs 'fields' and a 'reference' object"),
        (lambda s: s["foreignKeys"][0]["reference"].update(fields=["source_id", "title_zh"]),
         "column foreignKeys: foreign key 1 has 1 fields but its reference 2"),
        (lambda s: _field(s, "source_paragraph").update(type="string", constraints={"required": True}),
         "column source_paragraph: must be of type integer, not string (the package's rules read it)"),
        (lambda s: s["fields"].remove(_field(s, "unit")), "column fields: the facts table needs a field 'unit' (the package's rules read it)"),
        (lambda s: _field(s, "note_en").update({"x-occursIn": "quote"}),
         f"column note_en: x-occursIn 'quote' is not a field of this schema (fields: {FACT_FIELDS})"),
    ],
)
def test_schema_mistakes_are_one_line(data_copy, change, rule):
    _edit_json(data_copy / "schemas" / "facts.json", change)
    assert _rejection(data_copy) == f"schemas/facts.json: row 1, {rule}"


def test_a_200000_character_cell_is_refused_by_the_cell_limit(data_copy, set_cell):
    line = set_cell(data_copy, "villages.csv", "dabao", "name_zh", "大" * 200_000)  # above Python csv's 131072 too
    assert _rejection(data_copy) == (f"villages.csv: row {line}, column name_zh: length 200000 exceeds maxLength "
                                     f"{data.MAX_CELL_CHARS} (the limit for every cell of the package)")
    assert data.MAX_CELL_CHARS == 2000


def test_the_cell_limit_is_inclusive(data_copy, set_cell):
    set_cell(data_copy, "villages.csv", "dabao", "note_en", "n" * 2000)  # note_en has no maxLength of its own
    data.clear_caches()
    assert str(data.validate_package(data_copy)[3]) == "villages: 4 rows, schema ok"
    line = set_cell(data_copy, "villages.csv", "dabao", "note_en", "n" * 2001)
    assert _rejection(data_copy) == (f"villages.csv: row {line}, column note_en: length 2001 exceeds maxLength 2000 "
                                     "(the limit for every cell of the package)")


@pytest.mark.parametrize(("char", "code"), [("\x00", "0000"), ("\t", "0009"), ("\n", "000A"), ("\r", "000D"),
                                            ("\x1b", "001B"), ("\x85", "0085"), ("\u202e", "202E"), ("\ufeff", "FEFF")])
def test_control_characters_inside_a_cell_are_refused(data_copy, char, code):
    path = data_copy / "villages.csv"
    path.write_bytes(path.read_bytes().replace("大堡村".encode(), f'"大堡{char}村"'.encode(), 1))  # quoted: one cell
    assert _rejection(data_copy) == ("villages.csv: row 2, column name_zh: control character U+" + code +
                                     " at character 3 (not allowed in a cell)")  # 大 = 1, 堡 = 2


@pytest.mark.parametrize("article", ["present", "absent"])
@pytest.mark.parametrize(
    ("key", "bad", "rule"),
    [
        ("poor_households_registered", "lots", "'lots' is not a number (unit households)"),
        ("poor_households_registered", "nan", "'nan' is not a number (unit households)"),
        ("poor_households_registered", "1e999", "'1e999' is not a number (unit households)"),
        ("poor_households_registered", "2_43", "'2_43' is not a number (unit households)"),
        ("poor_households_registered", "٢٤٣", "'٢٤٣' is not a number (unit households)"),  # Arabic-Indic digits
        ("source_date", "2018-06-31", "'2018-06-31' is not a valid date (unit date)"),
        ("flood_date", "8.16", "'8.16' is not a month-day MM-DD (unit month_day)"),
        ("flood_date", "13-01", "'13-01' is not a month-day MM-DD (unit month_day)"),
    ],
)
def test_a_fact_value_must_fit_its_unit_with_or_without_the_article(data_copy, set_cell, tmp_path, key, bad, rule,
                                                                    article):
    line = set_cell(data_copy, "facts.csv", key, "value", bad)
    where = None if article == "present" else tmp_path / "no-article.txt"
    assert _rejection(data_copy, where) == f"facts.csv: row {line}, column value: {rule}"


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ("99999999999999999999", "99999999999999999999 is outside the 64-bit integer range"),  # > 2**63 - 1
        ("٣", "'٣' is not a valid integer"),
        (" 5", "' 5' is not a valid integer"),
    ],
)
def test_integers_are_ascii_digits_in_range(data_copy, set_cell, tmp_path, bad, rule):
    line = set_cell(data_copy, "facts.csv", "dabao_fungus_area_mu", "source_paragraph", bad)
    assert _rejection(data_copy, tmp_path / "no-article.txt") == f"facts.csv: row {line}, column source_paragraph: {rule}"


@pytest.mark.parametrize("bad", ["inf", "NaN", "1e400", "0x10", "1,5"])
def test_numbers_are_finite_and_plain(data_copy, set_cell, bad):
    line = set_cell(data_copy, "assumptions.csv", "price_yuan_per_kg", "base", bad)
    assert _rejection(data_copy) == f"assumptions.csv: row {line}, column base: {bad!r} is not a valid number"


def test_long_values_are_echoed_shortened(data_copy, set_cell):
    line = set_cell(data_copy, "facts.csv", "dabao_fungus_area_mu", "qualifier", "q" * 500)
    message = _rejection(data_copy)
    assert message.startswith(f"facts.csv: row {line}, column qualifier: '{'q' * data.SHOWN_CHARS}…' is not one of: ")
    assert len(message) < 200


# --- stay inside the package ---------------------------------------------------------------------------

OUTSIDE = "is outside the data folder (a path must be relative to it, without '..'); refused unread"
THROUGH_LINK = "leads outside the data folder through a symbolic link; refused unread"


@pytest.mark.parametrize(
    ("key", "value"),
    [("path", "../../../../etc/passwd"), ("path", "/etc/hostname"), ("schema", "/etc/hostname"),
     ("schema", "schemas/../../outside.json"), ("path", "~/facts.csv")],
)
def test_paths_leaving_the_package_are_refused_unread(data_copy, key, value):
    _edit_json(data_copy / "datapackage.json", lambda p: p["resources"][1].update({key: value}))
    assert _rejection(data_copy) == f"datapackage.json: row 1, column resources: resource 2 {key} {value!r} {OUTSIDE}"


@pytest.mark.parametrize("file", ["source.csv", "schemas/source.json"])
def test_symbolic_links_leaving_the_package_are_refused_without_echoing_the_target(data_copy, tmp_path, file):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET,line\n", encoding="utf-8")
    (data_copy / file).unlink()
    (data_copy / file).symlink_to(secret)
    key = "path" if file.endswith(".csv") else "schema"
    message = _rejection(data_copy)
    assert message == f"datapackage.json: row 1, column resources: resource 2 {key} {file!r} {THROUGH_LINK}"
    assert "TOPSECRET" not in message and str(secret) not in message


def test_datapackage_json_itself_linked_outside_is_refused(data_copy, tmp_path):
    outside = tmp_path / "package.json"
    outside.write_bytes((data_copy / "datapackage.json").read_bytes())
    (data_copy / "datapackage.json").unlink()
    (data_copy / "datapackage.json").symlink_to(outside)
    assert _rejection(data_copy) == f"datapackage.json: row 1, column -: {THROUGH_LINK}"


def test_symbolic_links_inside_the_package_are_fine(data_copy):
    (data_copy / "tables").mkdir()
    (data_copy / "villages.csv").rename(data_copy / "tables" / "villages.csv")
    (data_copy / "villages.csv").symlink_to(data_copy / "tables" / "villages.csv")
    data.clear_caches()
    assert str(data.validate_package(data_copy)[3]) == "villages: 4 rows, schema ok"


# --- rules that must not crash on odd but valid-looking schemas -----------------------------------------

def test_a_foreign_key_cycle_terminates(data_copy):
    _edit_json(data_copy / "schemas" / "source.json", lambda s: s.setdefault("foreignKeys", []).append(
        {"fields": "source_id", "reference": {"resource": "facts", "fields": "source_id"}}))  # source -> facts -> source
    data.clear_caches()
    assert [c.table for c in data.validate_package(data_copy)][:2] == ["facts", "source"]


def test_a_fact_column_without_a_foreign_key_is_still_checked(data_copy, set_cell):
    _edit_json(data_copy / "schemas" / "villages.json", lambda s: s.update(foreignKeys=[
        fk for fk in s["foreignKeys"] if fk["fields"] != "fact_id"]))
    line = set_cell(data_copy, "villages.csv", "dabao", "fact_id", "no_such_fact")
    assert _rejection(data_copy) == f"villages.csv: row {line}, column fact_id: 'no_such_fact' not found in facts.fact_id"


JSON_VALUES = [None, True, 0, -1, 1.5, "", "x", [], [1], {}, {"a": 1}]


def _key_paths(obj, prefix=()):
    """Every (path of keys/indexes) inside a JSON value."""
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _key_paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for index, value in enumerate(obj[:3]):
            yield from _key_paths(value, prefix + (index,))


def _set_at(obj, path, value):
    if not path:
        return value
    target = obj
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


_DELETE = object()


@pytest.mark.parametrize("file", ["datapackage.json", "schemas/facts.json", "schemas/villages.json"])
def test_any_json_value_anywhere_gives_one_line_or_passes(data_copy, file):
    """Replace (or delete) each key of a package file by each kind of JSON value: the package is
    either valid or refused with a DataValidationError; never another exception."""
    import copy
    import json

    path = data_copy / file
    original = path.read_text(encoding="utf-8")
    base = json.loads(original)
    tried = 0
    for key_path in list(_key_paths(base)):
        for value in JSON_VALUES + ([_DELETE] if key_path else []):
            path.write_text(json.dumps(_set_at(copy.deepcopy(base), key_path, value)), encoding="utf-8")
            data.clear_caches()
            try:
                data.validate_package(data_copy)
            except DataValidationError as exc:
                assert "\n" not in str(exc)
            tried += 1
    path.write_text(original, encoding="utf-8")
    data.clear_caches()
    assert tried > 100


ONE_LINE = re.compile(r"[a-z_/]+\.(csv|json): row ([0-9]+|-), column [a-z_,-]+: [^\n]+")


@pytest.mark.parametrize("cell", ["", " ", "\"", "'", ",", "1e999", "-0", "0" * 30, "\\", "大" * 31, "é", "🙂",
                                  "NULL", "True", "2018-02-30", "9999-12-31", "0001-01-01"])
def test_odd_cells_in_every_column_give_one_line_or_pass(data_copy, cell):
    """Each odd text in each column of a facts row and a villages row: valid, or one line naming that row."""
    import csv as csv_module

    for file in ("facts.csv", "villages.csv", "assumptions.csv"):
        path = data_copy / file
        original = path.read_bytes()
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv_module.reader(handle))
        for column in range(len(rows[0])):
            changed = [list(r) for r in rows]
            changed[1][column] = cell
            with path.open("w", encoding="utf-8", newline="") as handle:
                csv_module.writer(handle, lineterminator="\n").writerows(changed)
            data.clear_caches()
            try:
                data.validate_package(data_copy)
            except DataValidationError as exc:  # this row, or a row of a table that refers to it
                assert ONE_LINE.fullmatch(str(exc)), str(exc)
        path.write_bytes(original)


# --- layering ------------------------------------------------------------------------------------------

def test_data_does_not_import_parameters():
    import ast

    tree = ast.parse(paths.data_file("data.py", paths.ANALYSIS_DIR).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported & {"analysis.parameters", "analysis.validation", "analysis.scenarios", "analysis.model"} == set()
    done = subprocess.run([sys.executable, "-c", "import sys, analysis.data; data = analysis.data;"
                           " data.validate_package(); print(sorted(m for m in sys.modules if m.startswith('analysis')))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['analysis', 'analysis.data', 'analysis.errors', 'analysis.paths']", done.stderr
