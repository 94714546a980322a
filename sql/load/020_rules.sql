-- Screening rules: tables users can edit. Defaults are inserted once
-- (ON CONFLICT DO NOTHING), so re-running this file never overwrites an edit.
-- Patterns are PostgreSQL regular expressions, matched case-insensitively (~*).

INSERT INTO registry.reason_codes (reason, description) VALUES
    ('bad_encoding', 'The row has bytes that are not valid in the file''s text encoding.'),
    ('nul_byte', 'The row contains NUL characters.'),
    ('field_count', 'The row has a different number of fields than the header.'),
    ('credit_code_missing', 'No unified social credit code.'),
    ('credit_code_invalid', 'The credit code is not 18 characters of the GB 32100 alphabet, or its check digit is wrong.'),
    ('name_missing', 'No enterprise name.'),
    ('status_inactive', 'Abnormal operating status: deregistered, revoked, moved out, liquidating, suspended (registry.status_rules).'),
    ('status_unknown', 'Operating status missing or matched by no rule in registry.status_rules.'),
    ('non_digital', 'Neither the industry code nor the label or business scope is digital (registry.sector_rules).'),
    ('capital_irregular', 'Registered capital missing, zero, negative, unparseable or in an unknown currency.'),
    ('coordinates_missing', 'Longitude/latitude missing or not numbers.'),
    ('coordinates_swapped', 'Longitude and latitude appear swapped (swapped, they fall inside the region).'),
    ('coordinates_outside_region', 'The location is outside the region extent (registry.settings; another city sets its own with industry-clusters db region).'),
    ('duplicate_credit_code', 'The credit code already appeared on an earlier accepted row of the same file.'),
    ('bad_date', 'A date field is not a date.'),
    ('formula_not_calculated', 'A cell of the row is a formula whose value the workbook does not hold (written by a program that does not calculate formulas): open and save it in Excel or WPS.')
ON CONFLICT (reason) DO UPDATE SET description = EXCLUDED.description;

CREATE TABLE IF NOT EXISTS registry.status_rules (
    rule_id integer PRIMARY KEY,
    priority integer NOT NULL,
    pattern text NOT NULL,
    active boolean NOT NULL,
    note text
);
COMMENT ON TABLE registry.status_rules IS 'Operating status -> active or excluded. The matching rule with the lowest priority wins; no match rejects the row as status_unknown.';
COMMENT ON COLUMN registry.status_rules.rule_id IS 'Integer key.';
COMMENT ON COLUMN registry.status_rules.priority IS 'Lower is tried first.';
COMMENT ON COLUMN registry.status_rules.pattern IS 'Regular expression on the status text (case-insensitive).';
COMMENT ON COLUMN registry.status_rules.active IS 'True keeps the enterprise; false excludes it (status_inactive).';
COMMENT ON COLUMN registry.status_rules.note IS 'Why.';
INSERT INTO registry.status_rules VALUES
    -- Exclusions first: "吊销，未注销" (revoked, not deregistered) must not read as active.
    (1, 10, '注销|吊销|撤销|迁出|迁往|清算|停业|歇业|破产|责令关闭|deregist|revoked|cancel|moved out|liquidat|suspend|bankrupt|closed|dissolved', false, 'abnormal operating status'),
    (2, 20, '存续|在业|在营|开业|正常|在册|登记成立|active|operating|in business|existing|normal|registered', true, 'active')
ON CONFLICT (rule_id) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.sector_rules (
    rule_id integer PRIMARY KEY,
    priority integer NOT NULL,
    match_on text NOT NULL CHECK (match_on IN ('industry_division', 'tags', 'business_scope')),
    pattern text NOT NULL,
    sector_id smallint NOT NULL REFERENCES registry.sectors,
    digital_label boolean NOT NULL DEFAULT false,
    note text
);
COMMENT ON TABLE registry.sector_rules IS 'Which enterprises are digital, and in which sector group. The matching rule with the lowest priority wins; business_scope rules apply only when the row has no GB/T 4754 industry code. No match: non_digital.';
COMMENT ON COLUMN registry.sector_rules.rule_id IS 'Integer key.';
COMMENT ON COLUMN registry.sector_rules.priority IS 'Lower is tried first.';
COMMENT ON COLUMN registry.sector_rules.match_on IS 'industry_division (2-digit GB/T 4754 division), tags (label column) or business_scope (keywords, only without an industry code).';
COMMENT ON COLUMN registry.sector_rules.pattern IS 'Regular expression (case-insensitive).';
COMMENT ON COLUMN registry.sector_rules.sector_id IS 'Sector assigned (registry.sectors).';
COMMENT ON COLUMN registry.sector_rules.digital_label IS 'True marks the enterprise as labelled digital.';
COMMENT ON COLUMN registry.sector_rules.note IS 'Why.';
INSERT INTO registry.sector_rules VALUES
    (1, 10, 'industry_division', '^39$', 1, false, 'GB/T 4754 division 39: computers, communication and other electronic equipment'),
    (2, 10, 'industry_division', '^6[3-5]$', 2, false, 'GB/T 4754 section I, divisions 63-65: information transmission, software and IT services'),
    (3, 20, 'tags', '数字|digital', 1, true, 'labelled digital: joins the comms group, as in the study'),
    (4, 30, 'business_scope', '软件|信息技术|信息系统|互联网|数据处理|数据服务|云计算|信息传输|电信|software|internet|information technology|data processing', 2, false, 'scope keywords, information and software'),
    (5, 31, 'business_scope', '通信设备|通讯设备|电子元件|电子器件|计算机制造|计算机整机|计算机零部件|电子产品制造|集成电路制造|智能终端|电子计算机|communication equipment|electronic (components|equipment)', 1, false, 'scope keywords, communications and electronics manufacturing'),
    (6, 32, 'business_scope', '数字|digital', 1, true, 'scope keywords, digital')
ON CONFLICT (rule_id) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.value_aliases (
    kind text NOT NULL CHECK (kind IN ('currency', 'size_class', 'boolean')),
    alias text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (kind, alias)
);
COMMENT ON TABLE registry.value_aliases IS 'Spellings found in registry exports -> normalised values (currency codes, size classes, booleans). Aliases are lower case.';
COMMENT ON COLUMN registry.value_aliases.kind IS 'currency, size_class or boolean.';
COMMENT ON COLUMN registry.value_aliases.alias IS 'The spelling, lower case, spaces removed.';
COMMENT ON COLUMN registry.value_aliases.value IS 'Normalised value (ISO 4217 code, micro/small/medium/large, true/false).';
INSERT INTO registry.value_aliases VALUES
    ('currency', '', 'CNY'), ('currency', '元', 'CNY'), ('currency', '人民币', 'CNY'),
    ('currency', '元人民币', 'CNY'), ('currency', '人民币元', 'CNY'), ('currency', 'rmb', 'CNY'),
    ('currency', 'cny', 'CNY'), ('currency', '美元', 'USD'), ('currency', 'usd', 'USD'),
    ('currency', '港元', 'HKD'), ('currency', '港币', 'HKD'), ('currency', 'hkd', 'HKD'),
    ('currency', '欧元', 'EUR'), ('currency', 'eur', 'EUR'), ('currency', '日元', 'JPY'),
    ('currency', 'jpy', 'JPY'), ('currency', '英镑', 'GBP'), ('currency', 'gbp', 'GBP'),
    ('currency', '新台币', 'TWD'), ('currency', 'twd', 'TWD'), ('currency', '澳门元', 'MOP'),
    ('currency', '新加坡元', 'SGD'), ('currency', 'sgd', 'SGD'), ('currency', '韩元', 'KRW'),
    ('currency', '澳大利亚元', 'AUD'), ('currency', '加拿大元', 'CAD'), ('currency', '瑞士法郎', 'CHF'),
    ('size_class', '微型', 'micro'), ('size_class', '微型企业', 'micro'), ('size_class', 'micro', 'micro'),
    ('size_class', '小型', 'small'), ('size_class', '小型企业', 'small'), ('size_class', 'small', 'small'),
    ('size_class', '中型', 'medium'), ('size_class', '中型企业', 'medium'), ('size_class', 'medium', 'medium'),
    ('size_class', '大型', 'large'), ('size_class', '大型企业', 'large'), ('size_class', 'large', 'large'),
    ('size_class', 'xs', 'micro'), ('size_class', 's', 'small'), ('size_class', 'm', 'medium'), ('size_class', 'l', 'large'),
    ('boolean', '是', 'true'), ('boolean', '否', 'false'), ('boolean', 'y', 'true'), ('boolean', 'n', 'false'),
    ('boolean', 'yes', 'true'), ('boolean', 'no', 'false'), ('boolean', 'true', 'true'), ('boolean', 'false', 'false'),
    ('boolean', '1', 'true'), ('boolean', '0', 'false'), ('boolean', '已转型', 'true'), ('boolean', '未转型', 'false')
ON CONFLICT (kind, alias) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.currency_rates (
    currency text PRIMARY KEY,
    cny_per_unit numeric NOT NULL CHECK (cny_per_unit > 0),
    as_of date NOT NULL,
    note text
);
COMMENT ON TABLE registry.currency_rates IS 'Exchange rates used to normalise registered capital to CNY. Defaults are approximate 2024 averages: update them for your study year.';
COMMENT ON COLUMN registry.currency_rates.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN registry.currency_rates.cny_per_unit IS 'CNY for one unit of the currency.';
COMMENT ON COLUMN registry.currency_rates.as_of IS 'Date the rate refers to.';
COMMENT ON COLUMN registry.currency_rates.note IS 'Source or remark.';
INSERT INTO registry.currency_rates VALUES
    ('CNY', 1, '2024-12-31', 'identity'),
    ('USD', 7.12, '2024-12-31', 'approximate 2024 average'),
    ('HKD', 0.912, '2024-12-31', 'approximate 2024 average'),
    ('EUR', 7.70, '2024-12-31', 'approximate 2024 average'),
    ('JPY', 0.047, '2024-12-31', 'approximate 2024 average'),
    ('GBP', 9.10, '2024-12-31', 'approximate 2024 average'),
    ('TWD', 0.222, '2024-12-31', 'approximate 2024 average'),
    ('MOP', 0.885, '2024-12-31', 'approximate 2024 average'),
    ('SGD', 5.32, '2024-12-31', 'approximate 2024 average'),
    ('KRW', 0.0052, '2024-12-31', 'approximate 2024 average'),
    ('AUD', 4.70, '2024-12-31', 'approximate 2024 average'),
    ('CAD', 5.20, '2024-12-31', 'approximate 2024 average'),
    ('CHF', 8.10, '2024-12-31', 'approximate 2024 average')
ON CONFLICT (currency) DO NOTHING;

CREATE TABLE IF NOT EXISTS registry.size_thresholds (
    size_class text PRIMARY KEY CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
    min_capital_cny numeric NOT NULL
);
COMMENT ON TABLE registry.size_thresholds IS 'Size class derived from registered capital when the file gives none: the largest class whose minimum the capital reaches. A proxy: registry exports rarely carry employees or revenue, which the official SME thresholds use.';
COMMENT ON COLUMN registry.size_thresholds.size_class IS 'micro, small, medium or large.';
COMMENT ON COLUMN registry.size_thresholds.min_capital_cny IS 'Smallest registered capital (CNY) of the class.';
INSERT INTO registry.size_thresholds VALUES
    ('micro', 0), ('small', 1000000), ('medium', 10000000), ('large', 50000000)
ON CONFLICT (size_class) DO NOTHING;
