"""Tables in and out: CSV streamed row by row, XLSX written row by row by openpyxl, uploads of
either.

Used by every export (rosters, attendance, reports) and import (paper sheets, trainees).
"""

import csv
import io
import re
import tempfile
import zipfile
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _

from lms.errors import InvalidInput

#: a spreadsheet would run a cell starting with one of these as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE_RE = re.compile(r"^\+?\d+$")
#: most rows an upload may hold
MAX_ROWS = 100_000
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: an XLSX being written to a temporary file stays in memory up to this size, then moves to disk
SPOOL_MAX = 4 * 1024 * 1024
#: most members an uploaded XLSX may hold (a workbook has a dozen or two)
MAX_ZIP_MEMBERS = 1000
#: members smaller than this unpacked are not held to the compression ratio (tiny XML parts
#: compress well and cost nothing)
RATIO_FLOOR = 1024 * 1024


def safe_text(value):
    """Text a spreadsheet shows as text: a leading formula character is quoted (not a phone)."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PHONE_RE.match(value):
        return "'" + value
    return value


def _csv_value(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "hour") else value.isoformat()
    return safe_text(value)


def csv_stream(headers, rows):
    """CSV text, one chunk per row (UTF-8 with a BOM, so that Excel reads it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(headers)
    yield "\ufeff" + flush()
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        yield flush()


def sheet_title(text):
    """A valid worksheet title: at most 31 characters, without []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", text)[:31] or "Sheet"


def write_xlsx(out, title, headers, rows, widths=()):
    """Write a one-sheet workbook (a bold header row, then ``rows``) to the binary file ``out``.

    openpyxl's write-only mode writes each row as it comes and keeps none, so any number of rows
    takes the same memory. Text stays text, even "=..." or "#N/A" (which openpyxl would store as
    a formula or an error); times and dates get a readable format.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ERROR_CODES
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(value):
        # a plain value is written through one reused cell: only these need their own
        if isinstance(value, str):
            if not value.startswith("=") and value not in ERROR_CODES:
                return value
            made = WriteOnlyCell(sheet, value=value)
            made.data_type = "s"
        elif isinstance(value, date):
            made = WriteOnlyCell(sheet, value=value)
            made.number_format = "yyyy-mm-dd hh:mm" if isinstance(value, datetime) else "yyyy-mm-dd"
        else:
            return value
        return made

    bold = Font(bold=True)
    head = []
    for text in headers:
        made = WriteOnlyCell(sheet, value=text)
        made.font = bold
        head.append(made)
    sheet.append(head)
    for row in rows:
        sheet.append([cell(value) for value in row])
    workbook.save(out)


def xlsx_bytes(title, headers, rows, widths=()):
    """An XLSX workbook with one sheet, as bytes (see ``write_xlsx``): for small tables."""
    out = io.BytesIO()
    write_xlsx(out, title, headers, rows, widths)
    return out.getvalue()


def xlsx_file(title, headers, rows, widths=()):
    """An XLSX workbook with one sheet in a temporary file, rewound, for any number of rows: it
    stays in memory up to SPOOL_MAX, then moves to disk. The caller closes it."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 (the caller closes it)
    try:
        write_xlsx(out, title, headers, rows, widths)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def read_table(upload):
    """Rows of an uploaded CSV or XLSX file as (headers, [row dicts keyed by lower-case header]).

    :raise InvalidInput: not a CSV or XLSX file, unreadable, empty, or too many rows
    """
    name = (getattr(upload, "filename", "") or "").lower()
    data = upload.read() if hasattr(upload, "read") else upload
    if name.endswith(".xlsx") or data[:2] == b"PK":
        raw = _xlsx_rows(data)
    elif name.endswith(".csv") or name.endswith(".txt") or not name:
        raw = _csv_rows(data)
    else:
        raise _bad_file()
    raw = [r for r in raw if any(str(c).strip() for c in r if c is not None)]
    if not raw:
        raise InvalidInput(_("The file is empty."), fields={"file": [_("The file is empty.")]})
    if len(raw) > MAX_ROWS + 1:
        message = _("The file has more than %(n)s rows.", n=MAX_ROWS)
        raise InvalidInput(message, fields={"file": [message]})
    headers = [str(h or "").strip().lower() for h in raw[0]]
    rows = [
        {h: ("" if v is None else str(v).strip()) for h, v in zip(headers, row, strict=False)}
        for row in raw[1:]
    ]
    return headers, rows


def _bad_file():
    message = _("Upload a CSV or XLSX file.")
    return InvalidInput(message, fields={"file": [message]})


def _csv_rows(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise _bad_file() from exc
    if "\x00" in text:
        raise _bad_file()
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit
        raise _bad_file() from exc


def check_unpacked_size(data):
    """Refuse a zip (an XLSX is one) that would unpack to more than an upload may, before any of
    it is unpacked: a few hundred kilobytes can hold a "zip bomb" of shared strings that would
    keep a worker busy for minutes and take hundreds of megabytes of memory.

    Each member's size, their total and the compression ratio (of each large member, and of the
    whole file: its unpacked total over the bytes uploaded) are bounded by the settings
    XLSX_MAX_MEMBER_SIZE, XLSX_MAX_UNPACKED_SIZE and XLSX_MAX_COMPRESSION_RATIO. The sizes are
    the ones the archive declares: Python's zipfile unpacks no member beyond its declared size (a
    member that lies fails its checksum), and the whole file's ratio holds even when a member
    lies about its compressed size.

    :raise InvalidInput: not a zip file, or one that unpacks to too much
    """
    config = current_app.config
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _bad_file() from exc

    def too_big(member):
        ratio = member.file_size / max(member.compress_size, 1)
        return member.file_size > config["XLSX_MAX_MEMBER_SIZE"] or (
            member.file_size > RATIO_FLOOR and ratio > config["XLSX_MAX_COMPRESSION_RATIO"]
        )

    total = sum(member.file_size for member in members)
    if (
        len(members) > MAX_ZIP_MEMBERS
        or total > config["XLSX_MAX_UNPACKED_SIZE"]
        or (total > RATIO_FLOOR and total > config["XLSX_MAX_COMPRESSION_RATIO"] * len(data))
        or any(too_big(member) for member in members)
    ):
        message = _(
            "This spreadsheet unpacks to far more data than an upload may hold. Split it into "
            "smaller files, or save it as CSV."
        )
        raise InvalidInput(message, fields={"file": [message]}, code="too_large")


def _xlsx_rows(data):
    from openpyxl import load_workbook

    check_unpacked_size(data)
    rows = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS + 1:
                    break
        finally:
            workbook.close()
    except Exception as exc:
        # openpyxl raises many kinds of error on a damaged or forged file (zip, XML, missing
        # parts, wrong types): each one means the upload is not a spreadsheet we can read
        raise _bad_file() from exc
    return rows
