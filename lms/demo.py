"""Demo data for a new site: partners, office logins, trainers and trainees (deterministic)."""

import random
from datetime import date, timedelta

from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.extensions import db
from lms.partners.models import Partner
from lms.regions.models import Regency

#: every demo account uses this password
DEMO_PASSWORD = "latih-demo-2026"

PARTNERS = (
    {
        "name": "UPTD Balai Latihan Pertanian Provinsi Lampung",
        "kind": "training_centre",
        "mou_number": "MOU/BP3MI-LPG/001/2026",
        "address": "Hajimena, Natar, Lampung Selatan",
    },
    {
        "name": "UPT Bahasa Universitas Lampung",
        "kind": "university",
        "mou_number": "MOU/BP3MI-LPG/002/2026",
        "address": "Gedong Meneng, Bandar Lampung",
    },
    {
        "name": "UPTD Balai Latihan Kerja Kota Bandar Lampung",
        "kind": "vocational_centre",
        "mou_number": "MOU/BP3MI-LPG/003/2026",
        "address": "Sukarame, Bandar Lampung",
    },
)
OFFICE = (
    ("staff@latih.example", "Rina Marlina", "staff"),
    ("admin@latih.example", "Agus Setiawan", "admin"),
)
TRAINERS = (
    ("pelatih.pertanian@latih.example", "Suharto Wibowo"),
    ("pelatih.bahasa@latih.example", "Dewi Lestari"),
    ("pelatih.blk@latih.example", "Bambang Kurniawan"),
)
FIRST_NAMES = {
    "female": ("Siti", "Nur", "Sri", "Dewi", "Ayu", "Rina", "Wulan", "Lestari", "Ani", "Yuni"),
    "male": ("Budi", "Agus", "Andi", "Joko", "Rudi", "Eko", "Dedi", "Hendra", "Wahyu", "Rahmat"),
}
LAST_NAMES = (
    "Rahmawati",
    "Saputra",
    "Hidayat",
    "Pratama",
    "Susanti",
    "Wijaya",
    "Kurniasih",
    "Nugroho",
    "Maharani",
    "Setiawan",
    "Anggraini",
    "Firmansyah",
)
#: the regencies where most of the province's workers come from weigh more
REGENCY_WEIGHTS = {"18.07": 6, "18.02": 5, "18.01": 4}
TARGET_GROUP_WEIGHTS = (("cpmi", 6), ("purna_pmi", 2), ("family", 1), ("general", 1))


def _nik(regency_code, birth, gender, serial):
    province, regency = regency_code.split(".")
    day = birth.day + (40 if gender == "female" else 0)
    return f"{province}{regency}01{day:02d}{birth:%m%y}{serial:04d}"


def seed(today=None):
    """Create the demo records unless they exist; returns the logins as (role, email) pairs."""
    today = today or date.today()
    rng = random.Random(2026)
    logins = [(role, email) for email, _name, role in OFFICE]
    logins += [("trainer", email) for email, _name in TRAINERS]
    if db.session.scalar(select(User.id).where(User.email == OFFICE[0][0])):
        return logins, False
    partners = []
    for data in PARTNERS:
        partner = Partner(mou_valid_until=today.replace(year=today.year + 2), **data)
        db.session.add(partner)
        partners.append(partner)
    db.session.flush()
    for email, name, role in OFFICE:
        auth_services.create_user(email=email, password=DEMO_PASSWORD, name=name, role=role)
    for (email, name), partner in zip(TRAINERS, partners, strict=True):
        auth_services.create_user(
            email=email, password=DEMO_PASSWORD, name=name, role="trainer", partner_id=partner.id
        )
    regencies = db.session.scalars(select(Regency).order_by(Regency.code)).all()
    weights = [REGENCY_WEIGHTS.get(r.code, 1) for r in regencies]
    groups, group_weights = zip(*TARGET_GROUP_WEIGHTS, strict=True)
    for i in range(1, 41):
        gender = "female" if i % 3 else "male"
        first = rng.choice(FIRST_NAMES[gender])
        last = rng.choice(LAST_NAMES)
        regency = rng.choices(regencies, weights)[0]
        birth = today - timedelta(days=365 * rng.randint(19, 40) + rng.randint(0, 364))
        auth_services.create_user(
            email=f"peserta{i:02d}@latih.example",
            password=DEMO_PASSWORD,
            name=f"{first} {last}",
            role="trainee",
            nik=_nik(regency.code, birth, gender, i),
            birth_date=birth,
            gender=gender,
            phone=f"08{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}",
            regency_code=regency.code,
            target_group=rng.choices(groups, group_weights)[0],
        )
    logins.append(("trainee", "peserta01@latih.example"))
    return logins, True
