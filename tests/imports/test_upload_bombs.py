"""A spreadsheet that unpacks to far more than it weighs (a "zip bomb") is refused with a 400 and a
clear message before it is parsed, by the reader both imports share (the trainer's attendance
sheet and the staff's trainee import); so is a file that is not a readable spreadsheet."""

import io
import struct
import zipfile

import openpyxl
import pytest
from openpyxl import Workbook

from lms.core import tabular
from lms.errors import InvalidInput
from tests.fixtures.pages import text

MB = 1024 * 1024
BOMB_MESSAGE = (
    "This spreadsheet unpacks to far more data than an upload may hold. Split it into smaller "
    "files, or save it as CSV."
)

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)


def bomb(unpacked=8 * MB):
    """An XLSX whose shared strings unpack to ``unpacked`` bytes of one string repeated (the
    drill's bomb had 85 MB in 211 KB); written piece by piece, so that building it stays cheap."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>',
        )
        piece = "<si><t>" + "A" * 1000 + "</t></si>"
        with archive.open("xl/sharedStrings.xml", "w") as strings:
            strings.write(
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            )
            for _ in range(unpacked // len(piece)):
                strings.write(piece.encode())
            strings.write(b"</sst>")
    return out.getvalue()


def lying(data, member="xl/sharedStrings.xml", compressed=4 * MB):
    """``data`` with the central directory claiming ``member`` is ``compressed`` bytes packed (so
    its own ratio looks harmless)."""
    data = bytearray(data)
    start = data.find(b"PK\x01\x02")
    while start != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_length]) == member.encode():
            struct.pack_into("<I", data, start + 20, compressed)
        start = data.find(b"PK\x01\x02", start + 46)
    return bytes(data)


def sheet_xlsx(rows):
    """A plain workbook of ``rows`` (openpyxl writes it as a spreadsheet program would)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def never_parsed(monkeypatch):
    """Fail the test if the upload reaches the spreadsheet parser."""

    def refuse(*args, **kwargs):
        raise AssertionError("the bomb was parsed")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_the_bomb_is_small_and_unpacks_far(app):
    data = bomb()
    assert len(data) < 100 * 1024
    sizes = {m.filename: m.file_size for m in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert sizes["xl/sharedStrings.xml"] >= 8 * MB - 2000


def test_the_trainers_sheet_import_refuses_a_bomb_before_parsing_it(
    client, login, classroom, add_meeting, never_parsed
):
    session = add_meeting(classroom.course, 0)
    login(classroom.trainer)
    response = client.post(
        f"/trainer/sessions/{session.id}/import",
        data={"file": (io.BytesIO(bomb()), "sheet.xlsx")},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert BOMB_MESSAGE in text(response)


def test_the_trainee_import_refuses_a_bomb_before_parsing_it(
    client, login, dummy_staff, never_parsed
):
    login(dummy_staff)
    response = client.post(
        "/imports/trainees",
        data={"file": (io.BytesIO(bomb()), "trainees.xlsx"), "check": "y"},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert BOMB_MESSAGE in text(response)


def test_a_member_lying_about_its_packed_size_is_refused(app, never_parsed):
    data = lying(bomb())
    members = {m.filename: m for m in zipfile.ZipFile(io.BytesIO(data)).infolist()}
    assert members["xl/sharedStrings.xml"].compress_size == 4 * MB  # "only" 2 times smaller
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        tabular.read_table(io.BytesIO(data))
    assert refused.value.code == "too_large"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("XLSX_MAX_MEMBER_SIZE", 64 * 1024),
        ("XLSX_MAX_UNPACKED_SIZE", 64 * 1024),
        ("XLSX_MAX_COMPRESSION_RATIO", 1),
    ],
)
def test_each_limit_is_a_setting(app, monkeypatch, setting, value):
    """A real spreadsheet passes the defaults and is refused under a lower limit."""
    data = sheet_xlsx([[f"Peserta {i}", f"peserta{i}@example.org"] for i in range(2000)])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        headers, rows = tabular.read_table(io.BytesIO(data))
        assert len(rows) == 1999
        monkeypatch.setitem(app.config, setting, value)
        monkeypatch.setattr(tabular, "RATIO_FLOOR", 0)
        with pytest.raises(InvalidInput) as refused:
            tabular.read_table(io.BytesIO(data))
    assert refused.value.code == "too_large"
    assert refused.value.fields["file"] == [BOMB_MESSAGE]


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return out.getvalue()


#: files that are no readable spreadsheet, built when a test asks (zip files carry the time)
NOT_SPREADSHEETS = {
    "bad zip": lambda: (b"PK\x03\x04 not really a zip", "sheet.xlsx"),
    "words": lambda: (b"just some words", "sheet.xlsx"),
    "zip of text": lambda: (_zip({"hello.txt": "not a workbook"}), "sheet.xlsx"),
    "broken xml": lambda: (
        _zip({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": "<workbook"}),
        "a.xlsx",
    ),
    "missing sheet": lambda: (
        sheet_xlsx([["enrollment_id", "status"]]).replace(b"sheet1.xml", b"sheet9.xml"),
        "sheet.xlsx",
    ),
    "huge csv field": lambda: (
        b"enrollment_id,status\n" + b'"' + b"x" * 200_000 + b'",present\n',
        "sheet.csv",
    ),
}


@pytest.mark.parametrize("kind", sorted(NOT_SPREADSHEETS))
def test_a_file_that_is_no_spreadsheet_is_a_400(client, login, classroom, add_meeting, kind):
    data, name = NOT_SPREADSHEETS[kind]()
    session = add_meeting(classroom.course, 0)
    login(classroom.trainer)
    response = client.post(
        f"/trainer/sessions/{session.id}/import",
        data={"file": (io.BytesIO(data), name)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "Upload a CSV or XLSX file." in text(response)
