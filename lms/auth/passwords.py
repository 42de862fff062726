"""Password strength: zxcvbn's estimate, told the common Indonesian words and the person's own
data, with its reasons put in our own translatable words (zxcvbn's feedback is English only)."""

import re
import threading

from flask import current_app
from flask_babel import lazy_gettext as _l

#: words Indonesians put in passwords, most guessed first; zxcvbn knows English ones only
INDONESIAN_WORDS = (
    "sayang",
    "cinta",
    "rahasia",
    "bismillah",
    "indonesia",
    "merdeka",
    "lampung",
    "nama",
    "bulan",
    "kota",
    "katasandi",
    "sandi",
    "kucing",
    "anjing",
    "bunga",
    "rindu",
    "cantik",
    "ganteng",
    "manis",
    "sahabat",
    "keluarga",
    "allah",
    "alhamdulillah",
    "insyaallah",
    "ibu",
    "ayah",
    "mama",
    "papa",
    "anak",
    "garuda",
    "pancasila",
    "jakarta",
    "bandung",
    "surabaya",
    "medan",
    "bandarlampung",
    "metro",
    "masuk",
    "selamat",
    "bintang",
    "matahari",
    "januari",
    "februari",
    "maret",
    "april",
    "mei",
    "juni",
    "juli",
    "agustus",
    "september",
    "oktober",
    "november",
    "desember",
    "senin",
    "selasa",
    "rabu",
    "kamis",
    "jumat",
    "sabtu",
    "minggu",
    "latih",
    "pelatihan",
)
#: zxcvbn refuses longer passwords; the first 72 characters are judged
MAX_JUDGED = 72

#: why a password is refused, by what zxcvbn found in it (one whole message each, for translators)
REASONS = {
    "personal": _l(
        "This password is too easy to guess: it contains your name, e-mail, NIK, phone number "
        "or birth date. Leave those out and add a few uncommon words."
    ),
    "indonesian": _l(
        "This password is too easy to guess: it is built on a common Indonesian word. Add a few "
        "uncommon words."
    ),
    "passwords": _l(
        "This password is too easy to guess: many people use it. Add a few uncommon words."
    ),
    "words": _l(
        "This password is too easy to guess: it is built on a common word. Add a few uncommon "
        "words."
    ),
    "names": _l(
        "This password is too easy to guess: it is built on a common name. Add a few uncommon "
        "words."
    ),
    "spatial": _l(
        "This password is too easy to guess: it follows the keys of a keyboard. Add a few "
        "uncommon words."
    ),
    "repeat": _l(
        "This password is too easy to guess: it repeats the same characters. Add a few uncommon "
        "words."
    ),
    "sequence": _l(
        "This password is too easy to guess: it is a sequence such as abc or 6543. Add a few "
        "uncommon words."
    ),
    "regex": _l(
        "This password is too easy to guess: it is built on a recent year. Add a few uncommon "
        "words."
    ),
    "date": _l(
        "This password is too easy to guess: it is built on a date. Add a few uncommon words."
    ),
    "bruteforce": _l(
        "This password is too easy to guess. Make it longer with a few uncommon words: a short "
        "sentence only you would write is easy to remember."
    ),
}

#: zxcvbn keeps the user inputs of a call in a module-level dictionary
_lock = threading.Lock()


def personal_inputs(email=None, name=None, nik=None, phone=None, birth_date=None):
    """The person's own data as zxcvbn user inputs: whole values and their parts."""
    inputs = []
    if email:
        local = email.split("@")[0]
        inputs += [email, local, *re.split(r"[^0-9a-zA-Z]+", local)]
    if name:
        inputs += [name.replace(" ", ""), *name.split()]
    if nik:
        inputs += [nik, nik[-4:]]
    if phone:
        digits = re.sub(r"\D", "", phone)
        local = "0" + digits[2:] if digits.startswith("62") else digits
        inputs += [digits, local, local[1:]]
    if birth_date:
        inputs += [f"{birth_date:%d%m%Y}", f"{birth_date:%Y%m%d}", f"{birth_date:%d%m%y}"]
    return [i.lower() for i in inputs if i and len(i) >= 3]


def _reason(sequence, personal):
    """The reason key for the weakest part of a password zxcvbn split into ``sequence``."""
    for match in sequence:
        if match.get("dictionary_name") == "user_inputs" and match["matched_word"] in personal:
            return "personal"
    longest = max(sequence, key=lambda m: len(m["token"]), default=None)
    if longest is None:
        return "bruteforce"
    pattern = longest["pattern"]
    if pattern == "dictionary":
        name = longest["dictionary_name"]
        if name == "user_inputs":
            return "indonesian"
        if name in ("surnames", "male_names", "female_names"):
            return "names"
        return "passwords" if name == "passwords" else "words"
    return pattern if pattern in REASONS else "bruteforce"


def weakness(password, personal=()):
    """Why ``password`` is too easy to guess (a lazy translated message), or None if it scores at
    least PASSWORD_MIN_SCORE (0..4) with the common Indonesian words and ``personal`` known."""
    from zxcvbn import zxcvbn  # here: its dictionaries take 13 MB, needed by few pages

    personal = set(personal)
    with _lock:
        result = zxcvbn(password[:MAX_JUDGED], user_inputs=[*personal, *INDONESIAN_WORDS])
    if result["score"] >= current_app.config["PASSWORD_MIN_SCORE"]:
        return None
    return REASONS[_reason(result["sequence"], personal)]
