"""Demo data for a new site: partners, office logins, trainers and trainees (deterministic)."""

import random
from datetime import date, time, timedelta

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
    _seed_courses(partners, today)
    logins.append(("trainee", "peserta01@latih.example"))
    return logins, True


#: demo courses: (code prefix, type, partner index, title, English title, capacity, start offset
#: in days from today, weeks, registration state, details, extra course fields)
COURSES = (
    (
        "BHS-MAN",
        "language",
        1,
        "Bahasa Mandarin untuk Calon PMI Taiwan",
        "Mandarin for prospective workers to Taiwan",
        30,
        21,
        8,
        "open",
        {"language": "zh", "target_level": "HSK2", "pass_mark": 60, "lesson_hours": 160},
        {},
    ),
    (
        "BHS-KAN",
        "language",
        1,
        "Bahasa Kanton untuk Calon PMI Hong Kong",
        "Cantonese for prospective workers to Hong Kong",
        25,
        -120,
        8,
        "past",
        {"language": "yue", "target_level": "A2", "pass_mark": 60, "lesson_hours": 160},
        {},
    ),
    (
        "BHS-ING",
        "language",
        1,
        "Bahasa Inggris Kerja untuk Singapura dan Malaysia",
        "Workplace English for Singapore and Malaysia",
        20,
        -14,
        6,
        "past",
        {"language": "en", "target_level": "A2", "pass_mark": 65, "lesson_hours": 120},
        {},
    ),
    (
        "BHS-JPN",
        "language",
        1,
        "Bahasa Jepang Dasar (JLPT N4)",
        "Basic Japanese (JLPT N4)",
        10,
        28,
        8,
        "open",
        {"language": "ja", "target_level": "N4", "pass_mark": 60, "lesson_hours": 160},
        {"target_groups": ["cpmi"], "min_age": 18, "max_age": 35},
    ),
    (
        "HSP",
        "hospitality",
        2,
        "Tata Graha dan Layanan Makanan Minuman",
        "Housekeeping and food and beverage service",
        20,
        45,
        6,
        "upcoming",
        {"specialisation": "housekeeping", "destination": "JP", "lesson_hours": 120},
        {},
    ),
    (
        "KBN",
        "plantation",
        0,
        "Budidaya dan Panen Kelapa Sawit",
        "Oil palm cultivation and harvesting",
        25,
        -90,
        4,
        "past",
        {
            "commodity": "oil_palm",
            "field_practice_hours": 40,
            "practice_site": "Kebun Rejosari, Natar",
            "destination": "MY",
            "lesson_hours": 96,
        },
        {},
    ),
    (
        "WRA",
        "entrepreneurship",
        2,
        "Memulai Usaha bagi Purna PMI",
        "Starting a business for returned workers",
        40,
        -60,
        1,
        "past",
        {"business_stage": "starting", "format": "one_day"},
        {"target_groups": ["purna_pmi", "family"]},
    ),
    (
        "WRB",
        "entrepreneurship",
        2,
        "Mengelola Keuangan Usaha Keluarga",
        "Managing a family business's money",
        40,
        14,
        1,
        "open",
        {"business_stage": "running", "format": "multi_day"},
        {"target_groups": ["purna_pmi", "family"]},
    ),
    (
        "DGM",
        "digital_marketing",
        2,
        "Pemasaran Digital untuk Usaha Purna PMI",
        "Digital marketing for returned workers' businesses",
        25,
        10,
        3,
        "open",
        {
            "channels": ["marketplace", "social_media", "whatsapp_business"],
            "practical_assignment": "Membuat halaman toko daring untuk produk sendiri.",
        },
        {"requires_approval": True, "target_groups": ["purna_pmi", "family"]},
    ),
)


def _seed_courses(partners, today):
    """Courses of every type over a year: open, upcoming, running and finished, with timetables."""
    from lms.catalog import services as catalog
    from lms.core.time import combine_local
    from lms.extensions import course_types

    trainers = {
        t.partner_id: t for t in db.session.scalars(select(User).where(User.role == "trainer"))
    }
    for (
        prefix,
        type_key,
        p,
        title,
        title_en,
        capacity,
        offset,
        weeks,
        window,
        details,
        extra,
    ) in COURSES:
        course_type = course_types.get(type_key)
        if course_type is None:
            continue
        plan = course_type.session_plan
        starts_on = today + timedelta(days=offset)
        starts_on += timedelta(days=(plan.weekdays[0] - starts_on.weekday()) % 7)
        ends_on = starts_on + timedelta(weeks=weeks) - timedelta(days=1)
        if window == "open":
            opens, closes = today - timedelta(days=7), min(starts_on - timedelta(days=1), ends_on)
        elif window == "upcoming":
            opens, closes = today + timedelta(days=7), starts_on - timedelta(days=1)
        else:
            opens, closes = starts_on - timedelta(days=30), starts_on - timedelta(days=1)
        partner = partners[p]
        course = catalog.create_course(
            {
                "code": f"{prefix}-{starts_on.year}-01",
                "title": title,
                "title_en": title_en,
                "description": f"{title}. Pelatihan gratis dari BP3MI Lampung bersama {partner.name}.",
                "description_en": f"{title_en}. Free training by BP3MI Lampung with {partner.name}.",
                "type": type_key,
                "partner_id": partner.id,
                "capacity": capacity,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "registration_opens_at": combine_local(opens, time(8, 0)),
                "registration_closes_at": combine_local(closes, time(23, 59)),
                "location": partner.address.split(",")[-1].strip(),
                "trainer_ids": [trainers[partner.id].id],
                "details": details,
                "status": "published",
                **extra,
            }
        )
        catalog.generate_sessions(
            course,
            catalog.Timetable(
                first_day=starts_on,
                weeks=weeks,
                weekdays=plan.weekdays,
                starts=plan.starts,
                ends=plan.ends,
            ),
        )
