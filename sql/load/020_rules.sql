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
    ('status_inactive', 'Abnormal operating status: deregistered, revoked, moved out, liquidating, suspended, or listed as operating abnormally (registry.status_rules).'),
    ('status_unknown', 'Operating status missing or matched by no rule in registry.status_rules.'),
    ('non_digital', 'Neither the industry code nor the label or business scope is digital (registry.sector_rules).'),
    ('capital_irregular', 'Registered capital missing, zero, negative, unparseable or in an unknown currency.'),
    ('coordinates_missing', 'Longitude or latitude missing, or not a decimal number of degrees (113.12; not 1.1312e2, nor degrees and minutes).'),
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
    (2, 20, '存续|在业|在营|开业|正常|在册|登记成立|active|operating|in business|existing|normal|registered', true, 'active'),
    -- Added by revision 0091, before both: an enterprise listed as operating abnormally
    -- (经营异常, 非正常户 the tax office's abnormal filer) is what the study excluded, and
    -- rule 2 read 非正常户 and "abnormal" as active (正常, normal). 迁入 (moved in from
    -- another place) is active, and matched no rule.
    (3, 5, '非正常|不正常|经营异常|异常经营|abnormal', false, 'abnormal operation (经营异常, 非正常户)'),
    (4, 20, '迁入|moved in', true, 'active: moved in from another registration authority')
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
COMMENT ON TABLE registry.sector_rules IS 'Which enterprises are digital, and in which sector group. The matching rule with the lowest priority wins; business_scope rules apply only when the row''s industry gives no GB/T 4754 division (code or name, registry.gbt4754_division). No match: non_digital.';
COMMENT ON COLUMN registry.sector_rules.rule_id IS 'Integer key.';
COMMENT ON COLUMN registry.sector_rules.priority IS 'Lower is tried first.';
COMMENT ON COLUMN registry.sector_rules.match_on IS 'industry_division (2-digit GB/T 4754 division), tags (label column) or business_scope (keywords, only when the industry gives no division).';
COMMENT ON COLUMN registry.sector_rules.pattern IS 'Regular expression (case-insensitive).';
COMMENT ON COLUMN registry.sector_rules.sector_id IS 'Sector assigned (registry.sectors).';
COMMENT ON COLUMN registry.sector_rules.digital_label IS 'True marks the enterprise as labelled digital.';
COMMENT ON COLUMN registry.sector_rules.note IS 'Why.';
INSERT INTO registry.sector_rules VALUES
    (1, 10, 'industry_division', '^39$', 1, false, 'GB/T 4754 division 39: computers, communication and other electronic equipment'),
    (2, 10, 'industry_division', '^6[3-5]$', 2, false, 'GB/T 4754 section I, divisions 63-65: information transmission, software and IT services'),
    (3, 20, 'tags', '数字|digital', 1, true, 'labelled digital: joins the comms group, as in the study'),
    (4, 30, 'business_scope', '软件(?!销售)|信息技术|信息系统|互联网(?!销售)|数据处理|数据服务|云计算|信息传输|电信|software(?! ?sales)|internet(?! ?sales)|information technology|data processing', 2, false, 'scope keywords, information and software'),
    (5, 31, 'business_scope', '通信设备|通讯设备|电子元件|电子器件|计算机制造|计算机整机|计算机零部件|电子产品制造|集成电路制造|智能终端|电子计算机|communication equipment|electronic (components|equipment)', 1, false, 'scope keywords, communications and electronics manufacturing'),
    (6, 32, 'business_scope', '数字|digital', 1, true, 'scope keywords, digital')
ON CONFLICT (rule_id) DO NOTHING;
-- Revision 0092: selling software or selling online makes no firm digital. 互联网销售
-- (online retail, GB/T 4754 5292) is a standard item of the business scope of most
-- trading firms since 2021, and 软件销售 is wholesale or retail (5176, 5273); rule 4
-- read either as software and IT services (63-65). Rule 4 as the earlier default had it
-- is updated; a rule a user edited is kept.
UPDATE registry.sector_rules
   SET pattern = '软件(?!销售)|信息技术|信息系统|互联网(?!销售)|数据处理|数据服务|云计算|信息传输|电信|software(?! ?sales)|internet(?! ?sales)|information technology|data processing'
 WHERE rule_id = 4 AND pattern = '软件|信息技术|信息系统|互联网|数据处理|数据服务|云计算|信息传输|电信|software|internet|information technology|data processing';

-- GB/T 4754 division names. Exports of the registry platforms the study used
-- (Qichacha, Tianyancha) give the industry as names, not codes: 所属行业
-- "软件和信息技术服务业", or a path of section, division, group and class
-- "信息传输、软件和信息技术服务业-软件和信息技术服务业-软件开发-应用软件开发".
-- registry.gbt4754_division reads the division from a name as from a code.
CREATE TABLE IF NOT EXISTS registry.industry_divisions (
    name text PRIMARY KEY,
    division text NOT NULL CHECK (division ~ '^[0-9]{2}$'),
    edition smallint
);
COMMENT ON TABLE registry.industry_divisions IS 'GB/T 4754 division names -> two-digit division, for industry columns that give names (所属行业 软件和信息技术服务业) instead of codes. Add the spellings your exports use.';
COMMENT ON COLUMN registry.industry_divisions.name IS 'The division''s name as written in an export, without spaces.';
COMMENT ON COLUMN registry.industry_divisions.division IS 'Two-digit GB/T 4754-2017 division the name stands for.';
COMMENT ON COLUMN registry.industry_divisions.edition IS 'Edition of GB/T 4754 whose name this is (2017; 2011 for names that edition worded otherwise), NULL for a local spelling.';
INSERT INTO registry.industry_divisions VALUES
    ('农业', '01', 2017),
    ('林业', '02', 2017),
    ('畜牧业', '03', 2017),
    ('渔业', '04', 2017),
    ('农、林、牧、渔专业及辅助性活动', '05', 2017),
    ('煤炭开采和洗选业', '06', 2017),
    ('石油和天然气开采业', '07', 2017),
    ('黑色金属矿采选业', '08', 2017),
    ('有色金属矿采选业', '09', 2017),
    ('非金属矿采选业', '10', 2017),
    ('开采专业及辅助性活动', '11', 2017),
    ('其他采矿业', '12', 2017),
    ('农副食品加工业', '13', 2017),
    ('食品制造业', '14', 2017),
    ('酒、饮料和精制茶制造业', '15', 2017),
    ('烟草制品业', '16', 2017),
    ('纺织业', '17', 2017),
    ('纺织服装、服饰业', '18', 2017),
    ('皮革、毛皮、羽毛及其制品和制鞋业', '19', 2017),
    ('木材加工和木、竹、藤、棕、草制品业', '20', 2017),
    ('家具制造业', '21', 2017),
    ('造纸和纸制品业', '22', 2017),
    ('印刷和记录媒介复制业', '23', 2017),
    ('文教、工美、体育和娱乐用品制造业', '24', 2017),
    ('石油、煤炭及其他燃料加工业', '25', 2017),
    ('化学原料和化学制品制造业', '26', 2017),
    ('医药制造业', '27', 2017),
    ('化学纤维制造业', '28', 2017),
    ('橡胶和塑料制品业', '29', 2017),
    ('非金属矿物制品业', '30', 2017),
    ('黑色金属冶炼和压延加工业', '31', 2017),
    ('有色金属冶炼和压延加工业', '32', 2017),
    ('金属制品业', '33', 2017),
    ('通用设备制造业', '34', 2017),
    ('专用设备制造业', '35', 2017),
    ('汽车制造业', '36', 2017),
    ('铁路、船舶、航空航天和其他运输设备制造业', '37', 2017),
    ('电气机械和器材制造业', '38', 2017),
    ('计算机、通信和其他电子设备制造业', '39', 2017),
    ('仪器仪表制造业', '40', 2017),
    ('其他制造业', '41', 2017),
    ('废弃资源综合利用业', '42', 2017),
    ('金属制品、机械和设备修理业', '43', 2017),
    ('电力、热力生产和供应业', '44', 2017),
    ('燃气生产和供应业', '45', 2017),
    ('水的生产和供应业', '46', 2017),
    ('房屋建筑业', '47', 2017),
    ('土木工程建筑业', '48', 2017),
    ('建筑安装业', '49', 2017),
    ('建筑装饰、装修和其他建筑业', '50', 2017),
    ('批发业', '51', 2017),
    ('零售业', '52', 2017),
    ('铁路运输业', '53', 2017),
    ('道路运输业', '54', 2017),
    ('水上运输业', '55', 2017),
    ('航空运输业', '56', 2017),
    ('管道运输业', '57', 2017),
    ('多式联运和运输代理业', '58', 2017),
    ('装卸搬运和仓储业', '59', 2017),
    ('邮政业', '60', 2017),
    ('住宿业', '61', 2017),
    ('餐饮业', '62', 2017),
    ('电信、广播电视和卫星传输服务', '63', 2017),
    ('互联网和相关服务', '64', 2017),
    ('软件和信息技术服务业', '65', 2017),
    ('货币金融服务', '66', 2017),
    ('资本市场服务', '67', 2017),
    ('保险业', '68', 2017),
    ('其他金融业', '69', 2017),
    ('房地产业', '70', 2017),
    ('租赁业', '71', 2017),
    ('商务服务业', '72', 2017),
    ('研究和试验发展', '73', 2017),
    ('专业技术服务业', '74', 2017),
    ('科技推广和应用服务业', '75', 2017),
    ('水利管理业', '76', 2017),
    ('生态保护和环境治理业', '77', 2017),
    ('公共设施管理业', '78', 2017),
    ('土地管理业', '79', 2017),
    ('居民服务业', '80', 2017),
    ('机动车、电子产品和日用产品修理业', '81', 2017),
    ('其他服务业', '82', 2017),
    ('教育', '83', 2017),
    ('卫生', '84', 2017),
    ('社会工作', '85', 2017),
    ('新闻和出版业', '86', 2017),
    ('广播、电视、电影和录音制作业', '87', 2017),
    ('文化艺术业', '88', 2017),
    ('体育', '89', 2017),
    ('娱乐业', '90', 2017),
    ('中国共产党机关', '91', 2017),
    ('国家机构', '92', 2017),
    ('人民政协、民主党派', '93', 2017),
    ('社会保障', '94', 2017),
    ('群众团体、社会团体和其他成员组织', '95', 2017),
    ('基层群众自治组织及其他组织', '96', 2017),
    ('国际组织', '97', 2017),
    ('农、林、牧、渔服务业', '05', 2011),
    ('开采辅助活动', '11', 2011),
    ('石油加工、炼焦和核燃料加工业', '25', 2011),
    ('建筑装饰和其他建筑业', '50', 2011),
    ('仓储业', '59', 2011),
    ('广播、电视、电影和影视录音制作业', '87', 2011),
    ('基层群众自治组织', '96', 2011)
ON CONFLICT (name) DO NOTHING;

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
    ('currency', '圆', 'CNY'), ('currency', '¥', 'CNY'), ('currency', '￥', 'CNY'),
    ('currency', 'us$', 'USD'), ('currency', '美金', 'USD'), ('currency', 'hk$', 'HKD'),
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
COMMENT ON TABLE registry.size_thresholds IS 'Size class derived from registered capital when the file gives neither a class nor insured employees (registry.size_employee_thresholds): the largest class whose minimum the capital reaches. A proxy: the official classification uses employees and revenue.';
COMMENT ON COLUMN registry.size_thresholds.size_class IS 'micro, small, medium or large.';
COMMENT ON COLUMN registry.size_thresholds.min_capital_cny IS 'Smallest registered capital (CNY) of the class.';
INSERT INTO registry.size_thresholds VALUES
    ('micro', 0), ('small', 1000000), ('medium', 10000000), ('large', 50000000)
ON CONFLICT (size_class) DO NOTHING;

-- Size class from insured employees (参保人数, which the exports of Qichacha and
-- Tianyancha carry), by the employee thresholds of the national classification of
-- enterprise sizes (统计上大中小微型企业划分办法, 2017, as 2011): industry, for the
-- comms sector (division 39, manufacturing): small from 20, medium from 300, large
-- from 1,000; software and information technology services, for the software sector:
-- small from 10, medium from 100, large from 300. The classification also sets revenue
-- thresholds, which registry exports do not carry.
CREATE TABLE IF NOT EXISTS registry.size_employee_thresholds (
    sector_id smallint NOT NULL REFERENCES registry.sectors,
    size_class text NOT NULL CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
    min_employees integer NOT NULL CHECK (min_employees >= 0),
    PRIMARY KEY (sector_id, size_class)
);
COMMENT ON TABLE registry.size_employee_thresholds IS 'Size class from insured employees (参保人数), per sector, used when the file gives no size class: the largest class whose minimum the count reaches. Defaults: the employee thresholds of the national classification (2017), industry for comms, software and IT services for software. A sector without rows falls back to registered capital (registry.size_thresholds).';
COMMENT ON COLUMN registry.size_employee_thresholds.sector_id IS 'Sector (registry.sectors).';
COMMENT ON COLUMN registry.size_employee_thresholds.size_class IS 'micro, small, medium or large.';
COMMENT ON COLUMN registry.size_employee_thresholds.min_employees IS 'Fewest employees of the class in the sector.';
INSERT INTO registry.size_employee_thresholds VALUES
    (1, 'micro', 0), (1, 'small', 20), (1, 'medium', 300), (1, 'large', 1000),
    (2, 'micro', 0), (2, 'small', 10), (2, 'medium', 100), (2, 'large', 300)
ON CONFLICT (sector_id, size_class) DO NOTHING;
