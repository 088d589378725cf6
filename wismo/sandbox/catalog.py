"""The sandbox store's customers and products (fictional people, real places).

Phones are in ranges reserved for fiction (US/CA 555-01xx, UK 07700 900xxx,
AU 0491 570xxx); e-mails use example.com. Each customer carries the carrier
lane a parcel travels to reach them: hub locations after the origin, oldest first.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

Place = tuple[str, str, str, str]  # city, state/region, country code, postal code

US_ORIGIN: Place = ("LOCKBOURNE", "OH", "US", "43137")
CA_ORIGIN: Place = ("MISSISSAUGA", "ON", "CA", "L5T 2T9")
GB_ORIGIN: Place = ("NORTHAMPTON", "", "GB", "NN4 7YJ")
DHL_HUB: Place = ("HEBRON", "KY", "US", "41048")  # DHL's Cincinnati hub (CVG)

STORE_NAME = "Harbor & Pine"


@dataclass(frozen=True)
class Customer:
    key: str
    first: str
    last: str
    phone: str
    address1: str
    address2: str
    city: str
    province: str
    province_code: str
    zip: str
    country: str
    country_code: str
    lane: tuple[Place, ...]

    @property
    def email(self) -> str:
        local = f"{self.first}.{self.last}".lower().replace("'", "").replace("ü", "ue")
        return unicodedata.normalize("NFKD", local).encode("ascii", "ignore").decode() + (
            "@example.com")

    @property
    def destination(self) -> Place:
        return (self.city.upper(), self.province_code, self.country_code, self.zip)


def _c(key, first, last, phone, street, unit, city, prov, code, zip_, country, cc, *lane):
    return Customer(key, first, last, phone, street, unit, city, prov, code, zip_, country, cc,
                    tuple(lane))


IND = ("INDIANAPOLIS", "IN", "US", "46241")
KC = ("KANSAS CITY", "KS", "US", "66106")
CHI = ("HODGKINS", "IL", "US", "60525")
SLC = ("SALT LAKE CITY", "UT", "US", "84104")
DEN = ("COMMERCE CITY", "CO", "US", "80022")
LOU = ("LOUISVILLE", "KY", "US", "40209")
MEM = ("MEMPHIS", "TN", "US", "38118")
HBG = ("HARRISBURG", "PA", "US", "17111")
ATL = ("ATLANTA", "GA", "US", "30336")
DAL = ("DALLAS", "TX", "US", "75212")
PHX = ("PHOENIX", "AZ", "US", "85043")
US, CA_, GB, DE, AU = "United States", "Canada", "United Kingdom", "Germany", "Australia"

CUSTOMERS: dict[str, Customer] = {
    c.key: c
    for c in (
        _c("ava", "Ava", "Thompson", "+13035550142", "1420 Larimer St", "Apt 5B", "Denver",
           "Colorado", "CO", "80202", US, "US", IND, KC, DEN),
        _c("marcus", "Marcus", "Chen", "+14085550117", "2211 N 1st St", "Unit 210", "San Jose",
           "California", "CA", "95131", US, "US", IND, DEN, SLC, ("OAKLAND", "CA", "US", "94621")),
        _c("priya", "Priya", "Patel", "+16175550163", "88 Beacon St", "", "Boston",
           "Massachusetts", "MA", "02108", US, "US", HBG, ("WORCESTER", "MA", "US", "01606")),
        _c("james", "James", "O'Connor", "+17735550129", "415 W Belmont Ave", "Apt 3", "Chicago",
           "Illinois", "IL", "60657", US, "US", IND, CHI),
        _c("sofia", "Sofia", "Martinez", "+15125550181", "1900 E 7th St", "", "Austin", "Texas",
           "TX", "78702", US, "US", LOU, MEM, DAL),
        _c("ethan", "Ethan", "Walker", "+15035550136", "620 NE Alberta St", "", "Portland",
           "Oregon", "OR", "97211", US, "US", CHI, SLC, ("TROUTDALE", "OR", "US", "97060")),
        _c("grace", "Grace", "Kim", "+12065550174", "301 Pike St", "Apt 1204", "Seattle",
           "Washington", "WA", "98101", US, "US", CHI, ("SPOKANE", "WA", "US", "99224"),
           ("KENT", "WA", "US", "98032")),
        _c("daniel", "Daniel", "Nguyen", "+17135550158", "4500 Westheimer Rd", "", "Houston",
           "Texas", "TX", "77027", US, "US", LOU, MEM, ("HOUSTON", "TX", "US", "77032")),
        _c("hannah", "Hannah", "Lee", "+17185550103", "12 Grand St", "Apt 4F", "Brooklyn",
           "New York", "NY", "11211", US, "US", HBG, ("SECAUCUS", "NJ", "US", "07094")),
        _c("noah", "Noah", "Williams", "+14045550191", "780 Peachtree St NE", "Unit 1508",
           "Atlanta", "Georgia", "GA", "30308", US, "US", LOU, ATL),
        _c("chloe", "Chloe", "Johnson", "+13055550147", "2250 Collins Ave", "", "Miami Beach",
           "Florida", "FL", "33139", US, "US", ATL, ("ORLANDO", "FL", "US", "32809"),
           ("MEDLEY", "FL", "US", "33166")),
        _c("liam", "Liam", "Davis", "+16025550112", "3300 N Central Ave", "", "Phoenix",
           "Arizona", "AZ", "85012", US, "US", KC, ("ALBUQUERQUE", "NM", "US", "87121"), PHX),
        _c("emma", "Emma", "Rodriguez", "+16195550125", "700 Front St", "Apt 902", "San Diego",
           "California", "CA", "92101", US, "US", KC, PHX, ("SAN DIEGO", "CA", "US", "92154")),
        _c("mia", "Mia", "Anderson", "+16125550138", "310 Nicollet Mall", "", "Minneapolis",
           "Minnesota", "MN", "55401", US, "US", CHI, ("EAGAN", "MN", "US", "55121")),
        _c("lucas", "Lucas", "Garcia", "+17025550164", "1200 S 4th St", "", "Las Vegas",
           "Nevada", "NV", "89104", US, "US", KC, DEN, ("LAS VEGAS", "NV", "US", "89115")),
        _c("isabella", "Isabella", "Wilson", "+14105550152", "200 E Pratt St", "Apt 2210",
           "Baltimore", "Maryland", "MD", "21202", US, "US", HBG,
           ("BALTIMORE", "MD", "US", "21226")),
        _c("ben", "Benjamin", "Moore", "+16155550177", "415 Church St", "", "Nashville",
           "Tennessee", "TN", "37219", US, "US", LOU, ("NASHVILLE", "TN", "US", "37207")),
        _c("zoe", "Zoe", "Taylor", "+19195550108", "501 Fayetteville St", "Apt 7", "Raleigh",
           "North Carolina", "NC", "27601", US, "US", ("CHARLESTON", "WV", "US", "25309"),
           ("GREENSBORO", "NC", "US", "27409")),
        _c("henry", "Henry", "Jackson", "+18015550193", "55 W 100 S", "", "Salt Lake City", "Utah",
           "UT", "84101", US, "US", KC, DEN, SLC),
        _c("aria", "Aria", "White", "+12155550146", "1801 Walnut St", "Apt 12C", "Philadelphia",
           "Pennsylvania", "PA", "19103", US, "US", HBG, ("PHILADELPHIA", "PA", "US", "19153")),
        _c("samuel", "Samuel", "Harris", "+13135550131", "1001 Woodward Ave", "", "Detroit",
           "Michigan", "MI", "48226", US, "US", ("TOLEDO", "OH", "US", "43612"),
           ("ROMULUS", "MI", "US", "48174")),
        _c("layla", "Layla", "Clark", "+18165550185", "1200 Main St", "Apt 1710", "Kansas City",
           "Missouri", "MO", "64105", US, "US", IND, KC),
        _c("owen", "Owen", "Lewis", "+15135550114", "312 Walnut St", "", "Cincinnati", "Ohio",
           "OH", "45202", US, "US", ("WEST CHESTER", "OH", "US", "45069")),
        _c("ella", "Ella", "Young", "+15045550169", "700 Tchoupitoulas St", "", "New Orleans",
           "Louisiana", "LA", "70130", US, "US", MEM, ("HARAHAN", "LA", "US", "70123")),
        _c("jack", "Jack", "Robinson", "+12085550122", "800 W Main St", "", "Boise", "Idaho", "ID",
           "83702", US, "US", KC, DEN, SLC, ("BOISE", "ID", "US", "83716")),
        _c("nora", "Nora", "Hall", "+16085550187", "22 E Mifflin St", "", "Madison", "Wisconsin",
           "WI", "53703", US, "US", CHI, ("MADISON", "WI", "US", "53718")),
        _c("caleb", "Caleb", "Allen", "+14125550150", "600 Grant St", "", "Pittsburgh",
           "Pennsylvania", "PA", "15219", US, "US", ("WARRENDALE", "PA", "US", "15086")),
        _c("ruby", "Ruby", "Scott", "+18435550119", "40 Broad St", "", "Charleston",
           "South Carolina", "SC", "29401", US, "US", LOU, ATL,
           ("NORTH CHARLESTON", "SC", "US", "29405")),
        _c("olivia", "Olivia", "Tremblay", "+14165550172", "250 Queens Quay W", "Suite 1804",
           "Toronto", "Ontario", "ON", "M5J 2N2", CA_, "CA", ("TORONTO", "ON", "CA", "M9W 5Z8")),
        _c("felix", "Félix", "Gagnon", "+16045550134", "1055 W Georgia St", "Unit 2303",
           "Vancouver", "British Columbia", "BC", "V6E 3P3", CA_, "CA",
           ("WINNIPEG", "MB", "CA", "R3H 0Y2"), ("CALGARY", "AB", "CA", "T2E 8Z9"),
           ("RICHMOND", "BC", "CA", "V6X 3X9")),
        _c("charlotte", "Charlotte", "Evans", "+447700900123", "14 Camden High St", "",
           "London", "England", "ENG", "NW1 0JH", GB, "GB",
           ("HEMEL HEMPSTEAD", "", "GB", "HP2 7HQ"), ("LONDON", "", "GB", "EC1A 1BB")),
        _c("oliver", "Oliver", "Hughes", "+447700900456", "27 Oldham St", "Flat 3", "Manchester",
           "England", "ENG", "M1 1JG", GB, "GB", ("WARRINGTON", "", "GB", "WA5 7ZS")),
        _c("lena", "Lena", "Schmidt", "+4930901820", "Torstraße 125", "", "Berlin", "Berlin",
           "BE", "10119", DE, "DE", DHL_HUB, ("LEIPZIG", "SN", "DE", "04435"),
           ("SCHOENEFELD", "BB", "DE", "12529")),
        _c("jonas", "Jonas", "Müller", "+498921096000", "Sendlinger Str. 28", "", "München",
           "Bayern", "BY", "80331", DE, "DE", DHL_HUB, ("LEIPZIG", "SN", "DE", "04435"),
           ("FREISING", "BY", "DE", "85356")),
        _c("matilda", "Matilda", "Brown", "+61491570156", "12 Bridge St", "Level 3", "Sydney",
           "New South Wales", "NSW", "2000", AU, "AU", DHL_HUB,
           ("LOS ANGELES", "CA", "US", "90045"), ("MASCOT", "NSW", "AU", "2020")),
        _c("harrison", "Harrison", "Smith", "+61491570110", "101 Collins St", "", "Melbourne",
           "Victoria", "VIC", "3000", AU, "AU", DHL_HUB, ("LOS ANGELES", "CA", "US", "90045"),
           ("TULLAMARINE", "VIC", "AU", "3043")),
    )
}

# Products: key -> (title, variant, sku, price in USD, grams, vendor)
PRODUCTS: dict[str, tuple[str, str | None, str, str, int, str]] = {
    "socks": ("Merino Wool Hiking Socks", "Charcoal / M", "HP-SOCK-CHM", "24.00", 120, "Trailmark"),
    "mug": ("Stoneware Camp Mug", "Sage", "HP-MUG-SAG", "18.00", 410, "Harbor & Pine"),
    "blanket": ("Waxed Canvas Picnic Blanket", None, "HP-BLK-001", "89.00", 1650, "Harbor & Pine"),
    "lantern": ("Rechargeable LED Lantern", "Black", "HP-LNT-BLK", "49.00", 540, "Lumen Co."),
    "bottle": ("Insulated Water Bottle 32 oz", "Glacier Blue", "HP-BTL-32B", "36.00", 480,
               "Trailmark"),
    "hammock": ("Ultralight Travel Hammock", "Forest Green", "HP-HMK-FGR", "69.00", 620,
                "Harbor & Pine"),
    "jacket": ("Packable Down Jacket", "Navy / L", "HP-JKT-NVL", "149.00", 390, "Northline"),
    "boots": ("Waterproof Trail Boots", "Brown / 10", "HP-BOOT-B10", "179.00", 1280, "Northline"),
    "backpack": ("Roll-Top Daypack 25L", "Slate", "HP-PACK-25S", "119.00", 870, "Harbor & Pine"),
    "stove": ("Compact Backpacking Stove", None, "HP-STV-001", "54.00", 310, "Lumen Co."),
    "candle": ("Cedar & Smoke Soy Candle", None, "HP-CND-CED", "28.00", 450, "Harbor & Pine"),
    "throw": ("Wool Blend Throw Blanket", "Oatmeal", "HP-THR-OAT", "98.00", 1400, "Harbor & Pine"),
    "cutlery": ("Titanium Cutlery Set", None, "HP-CUT-TI3", "32.00", 95, "Trailmark"),
    "headlamp": ("USB-C Headlamp 400 lm", "Orange", "HP-HL-400O", "39.00", 88, "Lumen Co."),
    "chair": ("Folding Camp Chair", "Olive", "HP-CHR-OLV", "79.00", 2300, "Harbor & Pine"),
    "journal": ("Field Notes Journal 3-Pack", None, "HP-JRN-3PK", "15.00", 210, "Trailmark"),
}

# Currency and tax per destination country (prices are converted with a fixed rate).
COUNTRY_MONEY: dict[str, tuple[str, float, float, bool]] = {
    "US": ("USD", 1.0, 0.07, False),
    "CA": ("CAD", 1.36, 0.13, False),
    "GB": ("GBP", 0.79, 0.20, True),
    "DE": ("EUR", 0.92, 0.19, True),
    "AU": ("AUD", 1.52, 0.10, True),
}
