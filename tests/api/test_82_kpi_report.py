"""The U4SSC self-assessment report (issue #8, docs/kpi.md "Report"): HTML in the six UN
languages through GET /kpi/v1/report (translated headings from data/kpi/report/<lang>.json,
dir="rtl" for Arabic), PDF printed by headless Chromium through the API and through
`citytwin kpi report` offline (page count with pdfinfo, text with pdftotext). PDF is checked
for two languages only: each one runs Chromium for a few seconds."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import requests

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from citytwin_server import CityTwinServer  # noqa: E402

KPI = "/kpi/v1"
MESSAGES = os.path.join(os.path.dirname(__file__), "..", "..", "data", "kpi", "report")
LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh"]
CSV = ("city,period,variable,value,unit,source\n"
       "demo,2024,households_with_internet,39000,count,Census\n"
       "demo,2024,households_total,60000,count,Census\n"
       "demo,2025,households_with_internet,42000,count,Census\n"
       "demo,2025,households_total,60000,count,Census\n")


def messages(lang):
    with open(os.path.join(MESSAGES, lang + ".json"), encoding="utf-8") as f:
        return json.load(f)


def pdf_pages(path):
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(path):
    return subprocess.run(["pdftotext", "-enc", "UTF-8", path, "-"], capture_output=True,
                          text=True, check=True).stdout


def load(server):
    response = requests.post(server.url + KPI + "/inputs", data=CSV.encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 201, response.text
    response = requests.put(server.url + KPI + "/targets/EC.ICT.ICT.1C",
                            json={"value": 80, "year": 2030},
                            headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_html_report_in_each_language(server):
    load(server)
    for lang in LANGUAGES:
        response = requests.get(server.url + KPI + "/report",
                                params={"city": "demo", "period": "2025", "lang": lang})
        assert response.status_code == 200, (lang, response.text)
        assert response.headers["Content-Type"].startswith("text/html")
        html = response.content.decode("utf-8")
        texts = messages(lang)
        for key in ("title", "sectionSummary", "sectionKpis", "sectionSdg",
                    "sectionCompleteness", "sectionProvenance", "statusOnTrack"):
            assert texts[key] in html, (lang, key)
        assert f'lang="{lang}"' in html
        assert ('dir="rtl"' in html) == (lang == "ar"), lang
        assert "Household Internet Access" in html  # KPI names as in the catalogue
        assert "<svg" in html and "<script" not in html
        assert html.count('class="code">EC.') >= 91  # every KPI has its row
    bad = requests.get(server.url + KPI + "/report",
                       params={"city": "demo", "period": "2025", "lang": "de"})
    assert bad.status_code == 400
    bad = requests.get(server.url + KPI + "/report",
                       params={"city": "demo", "period": "2025", "format": "docx"})
    assert bad.status_code == 400
    bad = requests.get(server.url + KPI + "/report", params={"city": "demo"})
    assert bad.status_code == 400


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_pdf_report_through_the_api(server):
    load(server)
    response = requests.get(server.url + KPI + "/report",
                            params={"city": "demo", "period": "2025", "lang": "en",
                                    "format": "pdf"}, timeout=180)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.pdf")
        with open(path, "wb") as f:
            f.write(response.content)
        assert pdf_pages(path) > 1
        text = pdf_text(path)
        assert messages("en")["title"] in text
        assert "EC.ICT.ICT.1C" in text


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed")
def test_offline_report_command_writes_html_and_pdf():
    instance = CityTwinServer().start()
    try:
        load(instance)
        data_dir = os.path.join(instance.data_dir, "db")
        instance.stop()
        binary = instance.binary
        out = os.path.join(instance.data_dir, "report.pdf")
        done = subprocess.run([binary, "kpi", "report", "--data", data_dir, "--city", "demo",
                               "--period", "2025", "--lang", "zh", "--out", out],
                              capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, done.stderr
        assert pdf_pages(out) > 1
        text = pdf_text(out)
        assert messages("zh")["title"] in text
        assert messages("zh")["sectionSummary"] in text
        html_out = os.path.join(instance.data_dir, "report.html")
        done = subprocess.run([binary, "kpi", "report", "--data", data_dir, "--city", "demo",
                               "--period", "2025", "--lang", "ar", "--format", "html",
                               "--out", html_out], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        with open(html_out, encoding="utf-8") as f:
            html = f.read()
        assert 'dir="rtl"' in html and messages("ar")["sectionKpis"] in html
        # Without Chromium: a clear error and no file.
        missing = os.path.join(instance.data_dir, "missing.pdf")
        done = subprocess.run([binary, "kpi", "report", "--data", data_dir, "--city", "demo",
                               "--period", "2025", "--format", "pdf", "--chromium",
                               "/nonexistent/chromium", "--out", missing],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1
        assert "Chromium" in done.stderr and "chromium" in done.stderr
        assert not os.path.exists(missing)
    finally:
        instance.cleanup()
