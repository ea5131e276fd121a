"""Reference data: the countries where Stripe Connect accounts can be created, and currencies.

Source: stripe.com/global (countries where Stripe is available for businesses), 2026.
"""

STRIPE_COUNTRIES: dict[str, str] = {
    "AE": "United Arab Emirates", "AT": "Austria", "AU": "Australia", "BE": "Belgium",
    "BG": "Bulgaria", "BR": "Brazil", "CA": "Canada", "CH": "Switzerland", "CY": "Cyprus",
    "CZ": "Czech Republic", "DE": "Germany", "DK": "Denmark", "EE": "Estonia", "ES": "Spain",
    "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GI": "Gibraltar", "GR": "Greece",
    "HK": "Hong Kong", "HR": "Croatia", "HU": "Hungary", "IE": "Ireland", "IT": "Italy",
    "JP": "Japan", "LI": "Liechtenstein", "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia",
    "MT": "Malta", "MX": "Mexico", "MY": "Malaysia", "NL": "Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden",
    "SG": "Singapore", "SI": "Slovenia", "SK": "Slovakia", "TH": "Thailand",
    "US": "United States",
}  # fmt: skip

CURRENCIES: dict[str, str] = {
    "usd": "US dollar", "eur": "Euro", "gbp": "Pound sterling", "cad": "Canadian dollar",
    "aud": "Australian dollar", "nzd": "New Zealand dollar", "jpy": "Japanese yen",
    "chf": "Swiss franc", "sek": "Swedish krona", "nok": "Norwegian krone", "dkk": "Danish krone",
    "pln": "Polish złoty", "czk": "Czech koruna", "huf": "Hungarian forint",
    "ron": "Romanian leu", "bgn": "Bulgarian lev", "sgd": "Singapore dollar",
    "hkd": "Hong Kong dollar", "mxn": "Mexican peso", "brl": "Brazilian real",
    "myr": "Malaysian ringgit", "thb": "Thai baht", "aed": "UAE dirham",
}  # fmt: skip

# Currencies without a minor unit: 500 "cents" of JPY are ¥500.
ZERO_DECIMAL_CURRENCIES = frozenset({"jpy", "huf"})
