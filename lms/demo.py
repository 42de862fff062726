"""Demo data for a new site: partners, office logins, trainers, trainees, courses and
enrolments (deterministic)."""

import random
from datetime import time, timedelta

from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.auth.validation import normalize_phone
from lms.core.locking import lock_values
from lms.core.time import local_today
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
#: number of demo trainees, split among the target groups by these tenths
TRAINEES = 40
TARGET_GROUP_WEIGHTS = (("cpmi", 6), ("purna_pmi", 2), ("family", 1), ("general", 1))
#: age range per target group: prospective workers are young, returned workers older
TARGET_GROUP_AGES = {
    "cpmi": (19, 31),
    "purna_pmi": (26, 45),
    "family": (19, 50),
    "general": (19, 40),
}


def _nik(regency_code, birth, gender, serial):
    province, regency = regency_code.split(".")
    day = birth.day + (40 if gender == "female" else 0)
    return f"{province}{regency}01{day:02d}{birth:%m%y}{serial:04d}"


def seed(today=None):
    """Create the demo records unless they exist; returns the logins as (role, email) pairs."""
    today = today or local_today()
    rng = random.Random(2026)
    logins = [(role, email) for email, _name, role in OFFICE]
    logins += [("trainer", email) for email, _name in TRAINERS]
    logins.append(("trainee", "peserta01@latih.example"))
    if db.session.scalar(select(User.id).where(User.email == OFFICE[0][0])):
        return logins, False
    partners = []
    for data in PARTNERS:
        partner = Partner(mou_valid_until=today + timedelta(days=2 * 365), **data)
        db.session.add(partner)
        partners.append(partner)
    # the language centre's MoU is up for renewal: the office's home names it
    partners[1].mou_valid_until = today + timedelta(days=45)
    db.session.flush()
    for email, name, role in OFFICE:
        auth_services.create_user(email=email, password=DEMO_PASSWORD, name=name, role=role)
    for (email, name), partner in zip(TRAINERS, partners, strict=True):
        auth_services.create_user(
            email=email, password=DEMO_PASSWORD, name=name, role="trainer", partner_id=partner.id
        )
    regencies = db.session.scalars(select(Regency).order_by(Regency.code)).all()
    weights = [REGENCY_WEIGHTS.get(r.code, 1) for r in regencies]
    groups = [g for g, tenths in TARGET_GROUP_WEIGHTS for _ in range(tenths * TRAINEES // 10)]
    rng.shuffle(groups)
    trainees = []
    for i, group in enumerate(groups, start=1):
        gender = "female" if i % 3 else "male"
        first = rng.choice(FIRST_NAMES[gender])
        last = rng.choice(LAST_NAMES)
        regency = rng.choices(regencies, weights)[0]
        birth = today - timedelta(
            days=365 * rng.randint(*TARGET_GROUP_AGES[group]) + rng.randint(0, 364)
        )
        trainees.append(
            {
                "email": f"peserta{i:02d}@latih.example",
                "name": f"{first} {last}",
                "nik": _nik(regency.code, birth, gender, i),
                "birth_date": birth,
                "gender": gender,
                "phone": f"08{rng.randint(11, 59)}{rng.randint(10000000, 99999999)}",
                "regency_code": regency.code,
                "target_group": group,
            }
        )
    # every number at once, in the locks' order: each account's own lock is then one it holds
    # (numbers locked one by one in one transaction could deadlock with an import locking them)
    lock_values(User, "phone", [normalize_phone(t["phone"]) for t in trainees])
    for trainee in trainees:
        auth_services.create_user(password=DEMO_PASSWORD, role="trainee", **trainee)
    _seed_courses(partners, today)
    _seed_enrolments(rng)
    _seed_attendance_and_certificates(rng)
    _seed_groups_and_leave(today)
    _seed_outreach(rng, today)
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
        # a competence certificate in plantation work lasts three years
        {"certificate_validity_months": 36},
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


#: demo enrolments per course code prefix, in this order: (how many to enrol, how many of them
#: then cancel). Finished and running courses first, so that their trainees are busy then; the
#: course with the narrowest audience before them.
ENROLMENTS = (
    ("WRA", 14, 0),  # first: only returned workers and their families may join it
    ("BHS-KAN", 18, 1),
    ("KBN", 20, 0),
    ("BHS-JPN", 15, 1),
    ("DGM", 9, 0),
    ("WRB", 8, 1),
    ("BHS-ING", 15, 1),
    ("BHS-MAN", 12, 1),
)
#: DGM (needs approval): how many requests staff approve and reject; the rest stay pending
DGM_APPROVED, DGM_REJECTED = 3, 1


def _seed_enrolments(rng):
    """Enrol trainees through the enrolment services, as they and the office would.

    Trainees register themselves while a window is open; otherwise staff add them by hand
    (``bypass_window``). Whoever a rule would refuse is skipped; a trainee is never put in two
    courses at once, finished ones included. BHS-JPN (10 seats) ends full with 4 on its
    waitlist, DGM with requests pending, approved and rejected.
    """
    from lms.catalog.models import Course
    from lms.core.types import utcnow
    from lms.enrollment import services as enrolment

    now = utcnow()
    staff = db.session.scalar(select(User).where(User.email == OFFICE[0][0]))
    trainees = db.session.scalars(
        select(User).where(User.role == "trainee").order_by(User.id)
    ).all()
    courses = {
        c.code.rsplit("-", 2)[0]: c for c in db.session.scalars(select(Course).order_by(Course.id))
    }
    busy = {}  # trainee id -> [(first day, last day)] of the demo's enrolments

    for prefix, wanted, cancelled in ENROLMENTS:
        course = courses.get(prefix)
        if course is None:  # its type is disabled
            continue
        self_service = course.registration_opens_at <= now < course.registration_closes_at
        made = []
        for user in rng.sample(trainees, len(trainees)):
            if len(made) == wanted:
                break
            dates = busy.get(user.id, ())
            if any(s <= course.ends_on and course.starts_on <= e for s, e in dates):
                continue
            if enrolment.refusals(user, course, bypass_window=not self_service):
                continue
            made.append(
                enrolment.enroll(
                    user,
                    course,
                    actor=user if self_service else staff,
                    bypass_window=not self_service,
                )
            )
            busy.setdefault(user.id, []).append((course.starts_on, course.ends_on))
        if prefix == "DGM":
            for e in made[:DGM_APPROVED]:
                enrolment.approve(e, staff)
            for e in made[DGM_APPROVED : DGM_APPROVED + DGM_REJECTED]:
                enrolment.reject(e, staff, reason="Belum memiliki usaha yang berjalan.")
        seated = [e for e in made if e.status == "enrolled"]
        for e in rng.sample(seated, cancelled if len(seated) >= 5 else 0):
            if self_service:
                enrolment.cancel(e, e.user, reason="Berhalangan karena urusan keluarga.")
            else:
                enrolment.cancel(e, staff, reason="Berangkat bekerja lebih awal.")
    db.session.flush()


def _seed_attendance_and_certificates(rng):
    """Realistic marks for every held session, assessments, and certificates for the finished
    courses (one of them replaced after a correction) — all through the services."""
    from lms.attendance import services as attendance
    from lms.catalog.models import Course
    from lms.catalog.services import course_type_of
    from lms.certificates import services as certificates
    from lms.core.time import local_today
    from lms.core.types import utcnow

    staff = db.session.scalar(select(User).where(User.email == OFFICE[0][0]))
    now = utcnow()
    weights = (("present", 85), ("late", 6), ("excused", 4), ("absent", 5))
    statuses, chances = zip(*weights, strict=True)
    finished = []
    for course in db.session.scalars(select(Course).order_by(Course.id)):
        held = [s for s in course.sessions if s.cancelled_at is None and s.starts_at <= now]
        if not held:
            continue
        for session in held:
            records = [
                {"enrollment_id": e.id, "status": rng.choices(statuses, chances)[0]}
                for e, _mark in attendance.roster(session)
            ]
            if records:
                attendance.save_marks(session, records, staff, now=session.ends_at)
        course_type = course_type_of(course)
        if course_type is not None and course_type.requires_assessment:
            for enrollment, _summary in attendance.course_summaries(course):
                attendance.set_assessment(enrollment, staff, score=float(rng.randint(52, 96)))
        if course.ends_on < local_today():
            finished.append(course)
    issued = []
    for course in finished:
        done, _skipped = certificates.issue(course, staff)
        issued.extend(done)
    if issued:
        # a name spelt wrong: the certificate is replaced by a corrected one, linked to it
        certificates.reissue(issued[0], staff, "Nama peserta salah ketik.")


def _seed_groups_and_leave(today):
    """The running English course as two class groups (a morning and an afternoon class, each
    with a conversation practice of its own next week), and a trainee's request for leave from
    its next meeting, waiting for the trainer."""
    from lms.attendance import excuses
    from lms.catalog import services as catalog
    from lms.catalog.models import Course
    from lms.core.time import combine_local
    from lms.core.types import utcnow
    from lms.enrollment import groups

    course = db.session.scalar(select(Course).where(Course.code.like("BHS-ING-%")))
    if course is None:  # its type is disabled
        return
    staff = db.session.scalar(select(User).where(User.email == OFFICE[0][0]))
    trainer_ids = [t.id for t in course.trainers]
    morning = groups.create_group(course, "Kelas Pagi", trainer_ids, actor=staff)
    afternoon = groups.create_group(course, "Kelas Sore", trainer_ids, actor=staff)
    groups.distribute(course, actor=staff)
    practice = today + timedelta(days=7 - today.weekday() + 5)  # Saturday next week
    for group, start in ((morning, time(8, 0)), (afternoon, time(13, 0))):
        starts_at = combine_local(min(practice, course.ends_on), start)
        catalog.add_session(
            course,
            starts_at,
            starts_at + timedelta(hours=2),
            topic="Latihan percakapan",
            actor=staff,
            group_id=group.id,
        )
    coming = next((s for s in course.sessions if s.starts_at > utcnow()), None)
    member = next(iter(groups.members(course)), None)
    if coming is not None and member is not None:
        target = coming if coming.group_id in (None, member.group_id) else None
        if target is not None:
            excuses.request_leave(
                target.id, member.user, "Jadwal pemeriksaan kesehatan di klinik P3MI."
            )
    db.session.flush()


#: the school of the demo's migrant vocational class, and the co-hosts of its outreach events
#: (most of them without an MoU)
OUTREACH_PARTNERS = (
    {"name": "SMK Negeri 1 Metro", "kind": "school", "address": "Metro Pusat, Kota Metro"},
    {"name": "PWNU Lampung", "kind": "religious_organisation", "address": "Bandar Lampung"},
    {"name": "PW Muhammadiyah Lampung", "kind": "religious_organisation"},
    {"name": "Disnakertrans Provinsi Lampung", "kind": "local_government"},
    {"name": "Forum Mahasiswa Peduli Migran", "kind": "community"},
)
#: outreach events over the last year, and the audiences they were held for
OUTREACH_EVENTS = 63
OUTREACH_AUDIENCES = (
    ("village", 5),
    ("school", 3),
    ("university", 1),
    ("religious_community", 2),
    ("job_fair", 1),
)
OUTREACH_VENUES = {
    "village": "Balai Desa",
    "school": "Aula SMK",
    "university": "Aula Kampus",
    "religious_community": "Masjid Jami'",
    "job_fair": "Gedung Pameran Bursa Kerja",
}


def _seed_outreach(rng, today):
    """One migrant vocational class in a school, and a year of outreach events across the
    regencies with the people each reached (recorded by staff, through the services)."""
    from lms.attendance import reach
    from lms.catalog import services as catalog
    from lms.core.time import combine_local

    staff = db.session.scalar(select(User).where(User.email == OFFICE[0][0]))
    partners = []
    for data in OUTREACH_PARTNERS:
        partner = Partner(**data)
        if partner.kind == "school":
            partner.mou_number = "MOU/BP3MI-LPG/004/2026"
            partner.mou_valid_until = today + timedelta(days=2 * 365)
        db.session.add(partner)
        partners.append(partner)
    db.session.flush()
    school = partners[0]
    starts_on = today - timedelta(days=60)
    starts_on += timedelta(days=(1 - starts_on.weekday()) % 7)
    weeks = 20
    course = catalog.create_course(
        {
            "code": f"KMV-JPN-{starts_on.year}-01",
            "title": "Kelas Migran Vokasi Bahasa Jepang",
            "title_en": "Migrant vocational class: Japanese",
            "type": "school_class",
            "partner_id": school.id,
            "capacity": 36,
            "starts_on": starts_on,
            "ends_on": starts_on + timedelta(weeks=weeks) - timedelta(days=1),
            "registration_opens_at": combine_local(starts_on - timedelta(days=30), time(8, 0)),
            "registration_closes_at": combine_local(starts_on - timedelta(days=1), time(23, 59)),
            "location": "Kota Metro",
            "target_groups": ["cpmi"],
            "details": {
                "destination": "JP",
                "skill": "japanese",
                "school_year": f"{starts_on.year}/{starts_on.year + 1}",
                "grade": 12,
                "programme": "SMK Go Global",
            },
            "status": "published",
        }
    )
    catalog.generate_sessions(
        course,
        catalog.Timetable(
            first_day=starts_on, weeks=weeks, weekdays=(1, 3), starts=time(13, 0), ends=time(15, 0)
        ),
    )
    regencies = db.session.scalars(select(Regency).order_by(Regency.code)).all()
    weights = [REGENCY_WEIGHTS.get(r.code, 1) for r in regencies]
    audiences, chances = zip(*OUTREACH_AUDIENCES, strict=True)
    co_hosts = partners[1:] + [school]
    for n in range(OUTREACH_EVENTS):
        # spread over the 12 months before today, the last one today
        day = today - timedelta(days=(OUTREACH_EVENTS - 1 - n) * 365 // OUTREACH_EVENTS)
        regency = rng.choices(regencies, weights)[0]
        audience = rng.choices(audiences, chances)[0]
        partner = school if audience == "school" else co_hosts[n % len(co_hosts)]
        event = catalog.create_course(
            {
                "code": f"SOS-{day.year}-{n + 1:03d}",
                "title": f"Sosialisasi Migrasi Aman {regency.name}",
                "title_en": f"Safe-migration outreach, {regency.name}",
                "type": "outreach",
                "partner_id": partner.id,
                "starts_on": day,
                "ends_on": day,
                "location": regency.name,
                "details": {
                    "regency": regency.code,
                    "audience": audience,
                    "venue": f"{OUTREACH_VENUES[audience]} {regency.name}",
                    "topics": ["safe_migration", "official_channels", "documents"],
                },
                "status": "published",
            }
        )
        session = catalog.add_session(
            event, combine_local(day, time(9, 0)), combine_local(day, time(12, 0))
        )
        if n < OUTREACH_EVENTS - 1:  # today's event is counted when it is over
            reach.record_reach(session, rng.randint(45, 145), staff, now=session.ends_at)
