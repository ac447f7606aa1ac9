-- SPDX-License-Identifier: MIT
-- atproof.lua: a Wireshark dissector for the UART captures atproof writes
-- (include/atproof/capture.h): the Air602 (W600) AT+ protocol with the
-- names of atproof's protocol model (tools/atproof_cmds.lua, generated from
-- `atproof commands --json` by tools/gen-lua-table.sh).
--
-- Install: copy or symlink atproof.lua and atproof_cmds.lua into
-- ~/.local/lib/wireshark/plugins/, or load it for one run with
--   tshark -X lua_script:tools/atproof.lua -r run.pcapng
-- Filter fields: atproof.cmd, atproof.form, atproof.args, atproof.resp,
-- atproof.err, atproof.report, atproof.data_len, atproof.dir... (the list
-- is at `tshark -G fields | grep atproof`).
--
-- How frames reach it. atproof writes LINKTYPE_WIRESHARK_UPPER_PDU (252):
-- each packet starts with exported-PDU tags naming the dissector "at", and
-- Wireshark's exported_pdu dissector hands the bytes to the built-in "at"
-- dissector, which reads them as 3GPP 27.007 and mangles them (unknown
-- commands, a phantom command per "\r\n\r\n", no =!, no binary phases;
-- analyzer-anchors.md §1.6). A Lua dissector cannot take the name "at",
-- and exported_pdu looks its target up by name, so this one takes the step
-- before: it registers itself in the "wtap_encap" table for the
-- WIRESHARK_UPPER_PDU encapsulation in place of exported_pdu, reads the
-- tags itself, decodes the frames whose tags name "at" and hands every
-- other exported PDU back to the exported_pdu dissector it replaced. The
-- alternative link type, USER0 (147) with bare bytes, is taken in the same
-- table. Both can be switched off in the preferences (Protocols > ATPROOF),
-- and the dissector is also registered by name ("atproof"), so the
-- user_dlts table can point another USER link type at it. A postdissector
-- was the other way; it would leave the "at" dissector's wrong tree and its
-- expert notes on every frame.
--
-- The protocol is stateful: a response answers the oldest command still
-- waiting (§2.1.1.1), and SKSND, SKRCV, +SKTRPT and +HTTPCRPT announce
-- counted binary data (§2.1.1.1, §2.2.3.11-12, §2.2.3.17, §2.2.3.19) that
-- only the earlier frames explain; a line may also be cut across records.
-- So the frames are decoded in order on the first pass (pinfo.visited
-- false) and what each frame holds is stored; later passes (clicking a
-- frame, tshark -2) draw the tree from that store and never touch the
-- state again. The state is kept per interface: one interface is one UART.

local PLUGIN_VERSION = "1.0"
if set_plugin_info then
	set_plugin_info({
		version = PLUGIN_VERSION,
		description = "atproof: Air602/W600 AT+ UART captures",
		repository = "atproof tools/atproof.lua",
	})
end

-- The model sits next to this file.
local function load_model()
	local src = debug.getinfo(1, "S").source or ""
	local dir = src:match("^@(.*[/\\])") or ""
	local candidates = { dir .. "atproof_cmds.lua" }
	if Dir and Dir.personal_plugins_path then
		candidates[#candidates + 1] = Dir.personal_plugins_path() .. "/atproof_cmds.lua"
	end
	for _, path in ipairs(candidates) do
		local ok, m = pcall(dofile, path)
		if ok and type(m) == "table" and m.commands then
			return m
		end
	end
	error("atproof.lua: cannot load atproof_cmds.lua (looked in " ..
	    table.concat(candidates, ", ") .. "); install it next to atproof.lua")
end

local model = load_model()

------------------------------------------------------------------------
-- The model, indexed

-- "<name:Type details>" fields of a pattern, in order, and the fields
-- inside a {repeated} group. Enum details "0=STA|1=adhoc" give labels.
local function pattern_fields(pat)
	local out = { group = {} }
	if not pat then
		return out
	end
	local depth = 0
	local i = 1
	while i <= #pat do
		local c = pat:sub(i, i)
		if c == "{" then
			depth = depth + 1
		elseif c == "}" then
			depth = depth - 1
		elseif c == "<" then
			local j = pat:find(">", i, true)
			if not j then
				break
			end
			local body = pat:sub(i + 1, j - 1)
			local name, ty, rest = body:match("^([%w_]+):(%a+)%s*(.*)$")
			if name then
				local f = { name = name, type = ty }
				if ty == "Enum" then
					f.labels = {}
					for v in (rest .. "|"):gmatch("([^|]*)|") do
						local k, l = v:match("^([^=]+)=(.*)$")
						if k then
							f.labels[k] = l
						end
					end
				end
				out[#out + 1] = f
				if depth > 0 then
					out.group[#out.group + 1] = f
				end
			end
			i = j
		end
		i = i + 1
	end
	return out
end

local function set_of(list)
	local s = {}
	for _, v in ipairs(list or {}) do
		s[v] = true
	end
	return s
end

local CMDS = {}
for _, c in ipairs(model.commands) do
	c.formset = set_of(c.forms)
	c.fwformset = set_of(c.firmware_forms)
	c.flagset = set_of(c.flags)
	c.errset = set_of(c.errors)
	c.argfields = { group = {} }
	for i, a in ipairs(c.arguments or {}) do
		local f = { name = a.name, type = a.type }
		if a.values then
			f.labels = {}
			for _, v in ipairs(a.values) do
				f.labels[v.value] = v.label
			end
		end
		c.argfields[i] = f
	end
	c.replyfields = {}
	for form, pat in pairs(c.responses or {}) do
		c.replyfields[form] = pattern_fields(pat)
	end
	c.entryfields = pattern_fields(c.list_entry)
	CMDS[c.name] = c
end

-- A report is recognised by its name and the character after it ("=" or
-- ":"), or, for a banner ("ready"), by the whole line.
local REPORTS = {}
for _, r in ipairs(model.reports) do
	local name, op = r.pattern:match("^(%+[%w]+)([=:])")
	local rep = {
		name = r.name, section = r.section, summary = r.summary,
		op = op, banner = name == nil, fields = pattern_fields(r.pattern),
	}
	if r.data_length_field then
		for i, f in ipairs(rep.fields) do
			if f.name == r.data_length_field then
				rep.len_index = i
				-- The JSON does not say whether the <len> bytes stand in
				-- the line (+MQD:<len>,<data>, §2.2.4.7) or follow its
				-- terminator (+SKTRPT, +HTTPCRPT); a Text field right
				-- after the length, ending the pattern, is inline data.
				local nxt = rep.fields[i + 1]
				rep.inline = nxt ~= nil and i + 1 == #rep.fields and nxt.type == "Text"
			end
		end
	end
	REPORTS[#REPORTS + 1] = rep
end

local ERRS = {}
local err_vs = {}
for _, e in ipairs(model.error_codes) do
	ERRS[e.code] = e
	err_vs[e.code] = e.text
end

------------------------------------------------------------------------
-- Protocol, fields, expert infos

local p = Proto("atproof", "atproof AT+ UART (Air602/W600)")

local f = {
	dir = ProtoField.string("atproof.dir", "Direction"),
	kind = ProtoField.string("atproof.kind", "Kind"),
	line = ProtoField.string("atproof.line", "Line"),
	term = ProtoField.string("atproof.term", "Line end"),
	cmd = ProtoField.string("atproof.cmd", "Command"),
	form = ProtoField.string("atproof.form", "Form"),
	args = ProtoField.string("atproof.args", "Arguments"),
	arg = ProtoField.string("atproof.arg", "Argument"),
	section = ProtoField.string("atproof.section", "Manual section"),
	echo = ProtoField.string("atproof.echo", "Echoed command"),
	resp = ProtoField.string("atproof.resp", "Response"),
	value = ProtoField.string("atproof.value", "Value"),
	field = ProtoField.string("atproof.field", "Field"),
	reply_to = ProtoField.string("atproof.reply_to", "Answers command"),
	request_in = ProtoField.framenum("atproof.request_in", "Command in frame",
	    base.NONE, frametype and frametype.REQUEST or nil),
	response_in = ProtoField.framenum("atproof.response_in", "Response in frame",
	    base.NONE, frametype and frametype.RESPONSE or nil),
	time = ProtoField.relative_time("atproof.time", "Response time"),
	err = ProtoField.int32("atproof.err", "Error code", base.DEC, err_vs),
	err_name = ProtoField.string("atproof.err.name", "Error name"),
	err_text = ProtoField.string("atproof.err.text", "Error text"),
	report = ProtoField.string("atproof.report", "Report"),
	phase = ProtoField.string("atproof.phase", "Binary phase"),
	data = ProtoField.bytes("atproof.data", "Data"),
	data_len = ProtoField.uint32("atproof.data_len", "Data length"),
	data_total = ProtoField.uint32("atproof.data_total", "Announced length"),
	data_done = ProtoField.uint32("atproof.data_done", "Bytes of the phase so far"),
	text = ProtoField.string("atproof.text", "Text"),
	garbage = ProtoField.bytes("atproof.garbage", "Bytes before AT"),
	stray = ProtoField.bytes("atproof.stray", "Stray line-end bytes"),
	fragment = ProtoField.bytes("atproof.fragment", "Line fragment"),
	first_frame = ProtoField.framenum("atproof.first_frame", "Line starts in frame"),
	tags = ProtoField.bytes("atproof.tags", "Exported-PDU tags"),
}
p.fields = {}
for _, v in pairs(f) do
	p.fields[#p.fields + 1] = v
end

local ef = {
	unknown = ProtoExpert.new("atproof.unknown_cmd", "Not a command of the manual",
	    expert.group.PROTOCOL, expert.severity.WARN),
	form = ProtoExpert.new("atproof.form_not_allowed", "Form not allowed by the manual",
	    expert.group.PROTOCOL, expert.severity.WARN),
	err = ProtoExpert.new("atproof.error", "Error response",
	    expert.group.RESPONSE_CODE, expert.severity.NOTE),
	undoc = ProtoExpert.new("atproof.undocumented_error", "Error code not documented for the command",
	    expert.group.PROTOCOL, expert.severity.WARN),
	unpaired = ProtoExpert.new("atproof.unpaired", "Response with no command waiting",
	    expert.group.SEQUENCE, expert.severity.WARN),
	fragment = ProtoExpert.new("atproof.fragment", "Line continues in a later frame",
	    expert.group.REASSEMBLE, expert.severity.CHAT),
	text = ProtoExpert.new("atproof.unexpected_text", "Line that is no command, response or report",
	    expert.group.PROTOCOL, expert.severity.NOTE),
}
p.experts = {}
for _, v in pairs(ef) do
	p.experts[#p.experts + 1] = v
end

p.prefs.upper_pdu = Pref.bool("Decode exported PDUs for \"at\"", true,
    "Decode LINKTYPE_WIRESHARK_UPPER_PDU frames whose tags name the \"at\" " ..
    "dissector (atproof's captures) with this dissector")
p.prefs.user0 = Pref.bool("Decode USER0 (DLT 147)", true,
    "Decode LINKTYPE_USER0 frames as atproof UART bytes")

------------------------------------------------------------------------
-- Helpers

local TERM4 = "\r\n\r\n"

local function is_eol(b)
	return b == 13 or b == 10
end

-- Printable form of bytes for labels and the Info column.
local function esc(s, max)
	local t = s:gsub("[%c\128-\255]", function(c)
		if c == "\r" then
			return "\\r"
		elseif c == "\n" then
			return "\\n"
		end
		return string.format("\\x%02x", c:byte())
	end)
	if max and #t > max then
		t = t:sub(1, max) .. "..."
	end
	return t
end

-- Splits a value on commas outside double quotes; returns the pieces and
-- their 0-based offsets in @s.
local function split_commas(s)
	local parts, offs = {}, {}
	local start, inq = 1, false
	for i = 1, #s do
		local c = s:sub(i, i)
		if c == "\"" then
			inq = not inq
		elseif c == "," and not inq then
			parts[#parts + 1] = s:sub(start, i - 1)
			offs[#offs + 1] = start - 1
			start = i + 1
		end
	end
	parts[#parts + 1] = s:sub(start)
	offs[#offs + 1] = start - 1
	return parts, offs
end

-- Names the comma-separated values of @s (at @rel in the line) with the
-- fields @fl; a last Text field takes the rest, a {group} repeats.
local function name_values(s, rel, fl)
	local parts, offs = split_commas(s)
	local out = {}
	local n = #fl
	if n > 0 and #parts > n and fl[n].type == "Text" and #fl.group == 0 then
		local last = offs[n]
		parts[n] = s:sub(last + 1)
		for i = #parts, n + 1, -1 do
			parts[i] = nil
		end
	end
	for i, v in ipairs(parts) do
		local fd = fl[i]
		if not fd and #fl.group > 0 then
			local g = #fl.group
			fd = fl.group[(i - n - 1) % g + 1]
		end
		local label = fd and fd.name or ("value " .. i)
		local shown = v
		if fd and fd.labels and fd.labels[v] then
			shown = v .. " (" .. fd.labels[v] .. ")"
		end
		out[#out + 1] = { rel = rel + offs[i], len = #v, value = v,
		    label = label .. ": " .. esc(shown, 120) }
	end
	return out
end

local function part(list, field, rel, len, value, label)
	list[#list + 1] = { field = field, rel = rel, len = len, value = value, label = label }
end

------------------------------------------------------------------------
-- Conversation state (first pass only)

local S

local function new_dir_state()
	return {
		frag = nil,         -- bytes of a line cut at the end of a frame
		frag_first = nil,   -- the frame it starts in
		data = nil,         -- counted binary phase: {left, total, phase}
		term_open = false,  -- the last line's end may go on in the next frame
		term_run = "",
		term_frame = nil,
		term_data = nil,    -- a binary phase waits for that line end
		list = nil,         -- fields of the entries of a list response
	}
end

local function reset()
	S = { ifs = {}, frames = {} }
end
reset()
p.init = reset

local function iface(id)
	local st = S.ifs[id]
	if not st then
		st = { pend = {}, transparent = false, to = new_dir_state(), from = new_dir_state() }
		S.ifs[id] = st
	end
	return st
end

-- A command awaits its response (a FIFO, as the framer's, of 16).
local function push_pending(st, pc)
	st.pend[#st.pend + 1] = pc
	if #st.pend > 16 then
		table.remove(st.pend, 1)
	end
end

------------------------------------------------------------------------
-- Decoding one line into an item

-- A command line from the host (or echoed by the module).
local function decode_command(it, t)
	local u = t:upper()
	local at = u:find("AT+", 1, true)
	if not at then
		return false
	end
	local parts = it.parts
	if at > 1 then
		part(parts, f.garbage, 0, at - 1)
	end
	local rest = t:sub(at + 3)
	local nameend = rest:find("=", 1, true)
	local name = (nameend and rest:sub(1, nameend - 1) or rest)
	local ops = nameend and rest:sub(nameend, nameend + 1) or ""
	local form, oplen
	if ops == "=!" then
		form, oplen = "flash", 2
	elseif ops == "=?" then
		form, oplen = "query", 2
	elseif ops:sub(1, 1) == "=" then
		form, oplen = "set", 1
	else
		form, oplen = "bare", 0
	end
	local cmd = CMDS[name:upper()]
	local namerel = at + 2
	it.cmdname = name:upper()
	it.form = form
	it.cmd = cmd
	part(parts, it.kind == "echo" and f.echo or f.cmd, namerel, #name, it.cmdname,
	    "Command: " .. (name == "" and "AT+ (null operation)" or it.cmdname) ..
	    (cmd and (" (" .. cmd.summary .. ")") or ""))
	part(parts, f.form, namerel + #name, oplen, form,
	    "Form: " .. form .. (oplen > 0 and (" (" .. ops:sub(1, oplen) .. ")") or ""))
	if cmd then
		part(parts, f.section, nil, nil, cmd.section, "Manual section: §" .. cmd.section)
		if not cmd.formset[form] then
			it.experts[#it.experts + 1] = { ef.form, "The manual allows AT+" .. it.cmdname ..
			    " only as " .. table.concat(cmd.forms, ", ") ..
			    (cmd.fwformset[form] and " (the firmware accepts " .. form .. ")" or "") }
		end
	elseif it.kind ~= "echo" then
		it.experts[#it.experts + 1] = { ef.unknown, "AT+" .. esc(name, 40) ..
		    " is not a command of " .. model.manual }
	end
	if form == "set" or form == "flash" then
		local argrel = namerel + #name + oplen
		local a = t:sub(argrel + 1)
		it.args = a
		part(parts, f.args, argrel, #a, a, "Arguments: " .. esc(a, 120))
		local fl = cmd and cmd.argfields or { group = {} }
		for _, v in ipairs(name_values(a, argrel, fl)) do
			part(parts, f.arg, v.rel, v.len, v.value, v.label)
		end
	elseif form == "query" and #t > namerel + #name + 2 then
		local argrel = namerel + #name + 2
		it.args = t:sub(argrel + 1)
		part(parts, f.args, argrel, #it.args, it.args, "Arguments: " .. esc(it.args, 120))
	end
	it.info = "AT+" .. esc(t:sub(at + 3), 60)
	return true
end

-- A response (+OK, +OK=..., +ERR=<code>) from the module.
local function decode_response(it, t, st, frame, ts)
	local parts = it.parts
	local is_err = t:sub(1, 4) == "+ERR"
	local head = is_err and "+ERR" or "+OK"
	it.resp = head
	part(parts, f.resp, 0, #head, head)
	local pc = table.remove(st.pend, 1)
	local cmd = pc and pc.cmd
	if pc then
		part(parts, f.reply_to, nil, nil, pc.name, "Answers: " ..
		    (pc.name == "+++" and "+++ (leave transparent mode)" or "AT+" .. pc.name))
		part(parts, f.request_in, nil, nil, pc.frame)
		if pc.ts and ts then
			part(parts, f.time, nil, nil, ts - pc.ts)
		end
		if pc.item then
			pc.item.response_in = frame
		end
	else
		it.experts[#it.experts + 1] = { ef.unpaired }
	end
	local value
	if t:sub(#head + 1, #head + 1) == "=" then
		value = t:sub(#head + 2)
		part(parts, f.value, #head + 1, #value, value, "Value: " .. esc(value, 120))
	end
	it.value = value
	local suffix = pc and (" (" .. (pc.name == "+++" and "+++" or pc.name) .. ")") or ""
	if is_err then
		local code = value and value:match("^%-?%d+$") and tonumber(value)
		if code then
			local e = ERRS[code]
			part(parts, f.err, #head + 1, #value, code)
			if e then
				part(parts, f.err_name, nil, nil, e.name)
				part(parts, f.err_text, nil, nil, e.text)
			end
			local txt = e and e.text or "not a code of §1.2.2"
			it.experts[#it.experts + 1] = { ef.err, "+ERR=" .. code .. ": " .. txt .. " (§1.2.2)" }
			if cmd and not cmd.errset[code] then
				it.experts[#it.experts + 1] = { ef.undoc, "AT+" .. cmd.name ..
				    " does not list " .. code .. " (§" .. cmd.section .. ")" }
			end
			it.info = "+ERR=" .. code .. " " .. txt .. suffix
		else
			it.info = esc(t, 60) .. suffix
		end
		return
	end
	it.info = esc(t, 60) .. suffix
	if cmd and value then
		local fl = cmd.replyfields[pc.form] or cmd.replyfields.bare or
		    cmd.replyfields.set or cmd.replyfields.query or { group = {} }
		for _, v in ipairs(name_values(value, #head + 1, fl)) do
			part(parts, f.field, v.rel, v.len, v.value, v.label)
		end
	end
	-- What the response starts (§2.1.1.1): counted data, transparent mode,
	-- a list, a reset.
	if cmd then
		local n = value and value:match("^(%d+)") and tonumber(value:match("^(%d+)"))
		if cmd.binary_phase == "host-data" and n and n > 0 then
			st.to.data = { left = n, total = n, phase = cmd.name }
		elseif cmd.binary_phase == "device-data" and n and n > 0 then
			it.data_after = { left = n, total = n, phase = cmd.name }
		elseif cmd.binary_phase == "transparent" then
			it.enter_transparent = true
		end
		if cmd.flagset.list then
			it.list = cmd.entryfields
		end
		if cmd.flagset.reset then
			st.pend = {}
			st.transparent = false
			st.to.data = nil
		end
	end
end

-- An asynchronous report.
local function decode_report(it, t, rep)
	local parts = it.parts
	it.report = rep
	part(parts, f.report, 0, rep.banner and #t or #rep.name, rep.name,
	    "Report: " .. rep.name .. " (" .. rep.summary .. ", §" .. rep.section .. ")")
	it.info = esc(t, 60)
	if rep.banner then
		return
	end
	local vrel = #rep.name + 1
	local value = t:sub(vrel + 1)
	part(parts, f.value, vrel, #value, value, "Value: " .. esc(value, 120))
	local vals = name_values(value, vrel, rep.fields)
	if rep.inline and rep.len_index then
		-- +MQD:<len>,<data>: the data are the <len> bytes after the comma.
		local lv = vals[rep.len_index]
		local n = lv and tonumber(lv.value)
		if n then
			local drel = lv.rel + lv.len + 1
			local dv = t:sub(drel + 1)
			vals[rep.len_index + 1] = { rel = drel, len = #dv, value = dv,
			    label = rep.fields[rep.len_index + 1].name .. ": " .. esc(dv, 120) }
			for i = rep.len_index + 2, #vals do
				vals[i] = nil
			end
			it.inline_data = { rel = drel, len = #dv, total = n, phase = rep.name }
		end
	end
	for _, v in ipairs(vals) do
		part(parts, f.field, v.rel, v.len, v.value, v.label)
	end
	if rep.len_index and not rep.inline then
		local lv = vals[rep.len_index]
		local n = lv and lv.value:match("^%d+$") and tonumber(lv.value)
		if n and n > 0 then
			it.data_after = { left = n, total = n, phase = rep.name }
		end
	end
end

-- Which report a module line is, if any.
local function find_report(t)
	for _, r in ipairs(REPORTS) do
		if r.banner then
			if t == r.name then
				return r
			end
		elseif t:sub(1, #r.name + 1) == r.name .. r.op then
			return r
		end
	end
	return nil
end

------------------------------------------------------------------------
-- The first pass: cutting a frame's bytes into items

-- Where the line starting at @s in @W ends (the index of its last byte),
-- or nil if it goes past the end of @W. +MQD:<len>,<data> holds <len>
-- bytes that may be CR or LF.
local function line_end(W, s, n, from_module)
	if from_module and W:sub(s, s + 4) == "+MQD:" then
		local digits = W:match("^%d+", s + 5)
		if digits then
			local c = s + 5 + #digits
			if c > n then
				return nil
			end
			if W:sub(c, c) == "," then
				local e = c + tonumber(digits)
				if e > n then
					return nil
				end
				return e
			end
		elseif s + 5 > n then
			return nil
		end
	end
	local e = W:find("[\r\n]", s)
	if not e then
		return nil
	end
	return e - 1
end

local FRAG_MAX = 70000

-- True if @s starts the way a line of that side starts: a command line,
-- a response, a report.
local function starts_line(s, from_module)
	if not from_module then
		return s:sub(1, 3):upper() == "AT+"
	end
	if s:sub(1, 3) == "+OK" or s:sub(1, 4) == "+ERR" then
		return true
	end
	for _, r in ipairs(REPORTS) do
		if not r.banner and s:sub(1, #r.name + 1) == r.name .. r.op then
			return true
		end
	end
	return false
end

local function first_pass(rec, payload, st, to_module, frame, ts)
	local ds = to_module and st.to or st.from
	local items = rec.items
	-- A fragment followed by a frame that starts a line of its own was
	-- noise (a NUL, a cut line): the new line is not glued to it.
	if ds.frag and starts_line(payload, not to_module) then
		ds.frag, ds.frag_first = nil, nil
	end
	local base = ds.frag and #ds.frag or 0
	local W = (ds.frag or "") .. payload
	local n = #W
	local pos = 1
	local frag_first = ds.frag_first
	ds.frag, ds.frag_first = nil, nil

	-- 0-based offset and length in this frame of W[a..b].
	local function span(a, b)
		local off = a - 1 - base
		if off < 0 then
			off = 0
		end
		return off, b - base - off
	end
	local function new_item(kind, a, b)
		local off, len = span(a, b)
		local it = { kind = kind, off = off, len = len, parts = {}, experts = {} }
		if a <= base then
			it.raw = W:sub(a, b)
			it.first_frame = frag_first
		end
		items[#items + 1] = it
		return it
	end

	-- The host's "+++", alone in its burst, leaves transparent mode (the
	-- firmware needs exactly those three bytes in one read, w600-firmware.md
	-- "Leaving with +++"); it is answered +OK in either mode.
	if to_module and base == 0 and W == "+++" and not ds.data then
		local it = new_item("escape", 1, 3)
		it.label = "Escape: +++ (leave transparent mode)"
		it.info = "+++"
		part(it.parts, f.line, 0, 3, "+++")
		st.transparent = false
		push_pending(st, { name = "+++", frame = frame, ts = ts, item = it })
		return
	end

	while pos <= n do
		local b = W:byte(pos)
		if ds.term_open and is_eol(b) and pos == base + 1 then
			-- The line end of the last line of an earlier frame goes on.
			local k = 0
			while pos + k <= n and is_eol(W:byte(pos + k)) do
				k = k + 1
			end
			if ds.term_data then
				local run = ds.term_run .. W:sub(pos, pos + k - 1)
				local q = run:find(TERM4, 1, true)
				if q then
					k = q + 3 - #ds.term_run
				end
			end
			local it = new_item("term", pos, pos + k - 1)
			it.label = "Line end of the line in frame " .. ds.term_frame ..
			    ": " .. esc(W:sub(pos, pos + k - 1))
			part(it.parts, f.term, 0, k, esc(W:sub(pos, pos + k - 1)))
			part(it.parts, f.first_frame, nil, nil, ds.term_frame)
			pos = pos + k
			ds.term_open = false
			if ds.term_data then
				ds.data, ds.term_data = ds.term_data, nil
			end
		elseif ds.term_data then
			-- The line end was cut short; the data start here anyway.
			ds.data, ds.term_data, ds.term_open = ds.term_data, nil, false
		elseif ds.data then
			local d = ds.data
			local k = math.min(d.left, n - pos + 1)
			local it = new_item("data", pos, pos + k - 1)
			d.left = d.left - k
			it.data = { phase = d.phase, len = k, total = d.total, done = d.total - d.left }
			pos = pos + k
			if d.left == 0 then
				ds.data = nil
			end
		elseif st.transparent then
			local it = new_item("data", pos, n)
			it.data = { phase = "transparent", len = n - pos + 1 }
			pos = n + 1
		elseif is_eol(b) then
			ds.term_open = false
			local k = 0
			while pos + k <= n and is_eol(W:byte(pos + k)) do
				k = k + 1
			end
			local it = new_item("stray", pos, pos + k - 1)
			it.label = "Stray line end: " .. esc(W:sub(pos, pos + k - 1))
			part(it.parts, f.stray, 0, k)
			pos = pos + k
		else
			ds.term_open = false
			local e = line_end(W, pos, n, not to_module)
			if not e or (e - pos + 1) > FRAG_MAX then
				if not e and n - pos + 1 <= FRAG_MAX then
					-- Cut at the end of the frame: finished in a later one.
					local it = new_item("fragment", pos, n)
					it.label = "Line fragment: " .. esc(W:sub(pos, n), 80)
					it.info = esc(W:sub(pos, n), 40) .. " [continues]"
					part(it.parts, f.fragment, 0, n - pos + 1)
					it.experts[#it.experts + 1] = { ef.fragment }
					ds.frag = W:sub(pos, n)
					ds.frag_first = (pos <= base) and frag_first or frame
					return
				end
				e = e or n
			end
			local t = W:sub(pos, e)
			-- The line end: the run of CR/LF after the text; from the module
			-- it stops at the first CR LF CR LF when binary data follow.
			local k = 0
			while e + k + 1 <= n and is_eol(W:byte(e + k + 1)) do
				k = k + 1
			end
			local kind
			local rep
			if to_module then
				kind = "command"
			elseif t:sub(1, 3) == "+OK" or t:sub(1, 4) == "+ERR" then
				kind = "response"
			else
				rep = find_report(t)
				if rep then
					kind = "report"
				elseif ds.list and t:sub(1, 1) ~= "+" then
					kind = "entry"
				elseif t:upper():find("^AT%+") then
					kind = "echo"
				else
					kind = "text"
				end
			end
			local it = new_item(kind, pos, e + k)
			local parts = it.parts
			part(parts, f.line, 0, #t, t)
			if kind == "command" then
				if decode_command(it, t) then
					push_pending(st, { cmd = it.cmd, name = it.cmdname, form = it.form,
					    frame = frame, ts = ts, item = it })
				else
					it.kind = "text"
					it.experts[#it.experts + 1] = { ef.text, "Not an AT+ command line" }
					it.info = esc(t, 60)
				end
			elseif kind == "echo" then
				decode_command(it, t)
			elseif kind == "response" then
				ds.list = nil
				decode_response(it, t, st, frame, ts)
			elseif kind == "report" then
				decode_report(it, t, rep)
			elseif kind == "entry" then
				for _, v in ipairs(name_values(t, 0, ds.list)) do
					part(parts, f.field, v.rel, v.len, v.value, v.label)
				end
				it.info = esc(t, 40)
			else
				it.experts[#it.experts + 1] = { ef.text }
				it.info = esc(t, 60)
			end
			local follow = it.data_after
			local run = W:sub(e + 1, e + k)
			if follow then
				local q = run:find(TERM4, 1, true)
				if q then
					k = q + 3
					run = run:sub(1, k)
					it.len = select(2, span(pos, e + k))
					if it.raw then
						it.raw = W:sub(pos, e + k)
					end
				end
			end
			if k > 0 then
				part(parts, f.term, #t, k, esc(run), "Line end: " .. esc(run))
			end
			if it.first_frame then
				part(parts, f.first_frame, nil, nil, it.first_frame)
			end
			pos = e + k + 1
			-- A line end that reaches the end of the frame without CR LF
			-- CR LF may go on in the next one.
			if not to_module and pos > n and not run:find(TERM4, 1, true) then
				ds.term_open, ds.term_run, ds.term_frame = true, run, frame
			end
			if it.list and run:find(TERM4, 1, true) == nil then
				ds.list = it.list
			elseif kind == "entry" and run:find(TERM4, 1, true) then
				ds.list = nil
			end
			if it.enter_transparent then
				st.transparent = true
			end
			if follow then
				if ds.term_open then
					ds.term_data = follow
				else
					ds.data = follow
				end
			end
		end
	end
end

------------------------------------------------------------------------
-- Drawing the tree from the stored items

local KIND_NAMES = {
	command = "Command", response = "Response", report = "Report", data = "Binary data",
	echo = "Echo", entry = "List entry", text = "Text", stray = "Stray line end",
	fragment = "Fragment", term = "Line end", escape = "Escape",
}

local function draw(rec, pt, tree, pinfo, tvb, tags_len)
	local root = tree:add(p, pt(), "atproof AT+ UART, " .. rec.dir ..
	    (rec.inferred and " (direction inferred)" or ""))
	local di = root:add(f.dir, rec.dir)
	di:set_generated()
	if rec.inferred then
		di:append_text(" (no direction recorded: inferred from the bytes)")
	end
	if tags_len > 0 then
		root:add(f.tags, tvb(0, tags_len)):append_text(" (dissector \"at\")")
	end
	local infos = {}
	for _, it in ipairs(rec.items) do
		local src, so = pt, it.off
		if it.raw then
			src = ByteArray.new(it.raw, true):tvb("Line from frame " .. (it.first_frame or "?"))
			so = 0
		end
		local range = it.len > 0 and pt(it.off, it.len) or pt(it.off, 0)
		local node
		if it.kind == "data" then
			local d = it.data
			node = root:add(f.data, range)
			node:set_text(string.format("Binary data, %s: %d byte%s", d.phase, d.len,
			    d.len == 1 and "" or "s") .. (d.total and string.format(" (%d of %d)", d.done, d.total) or ""))
			node:add(f.kind, "data"):set_generated()
			node:add(f.phase, d.phase):set_generated()
			node:add(f.data_len, d.len):set_generated()
			if d.total then
				node:add(f.data_total, d.total):set_generated()
				node:add(f.data_done, d.done):set_generated()
			end
			infos[#infos + 1] = string.format("[%s data %d byte%s]", d.phase, d.len, d.len == 1 and "" or "s")
		else
			local label = it.label
			if not label then
				local lp = it.parts[1]
				label = KIND_NAMES[it.kind] .. ": " .. esc(lp and lp.value or "", 100)
			end
			node = root:add(p, range, label)
			node:add(f.kind, it.kind):set_generated()
			for _, pa in ipairs(it.parts) do
				local item
				if pa.rel then
					local r = src(so + pa.rel, pa.len)
					if pa.value ~= nil then
						item = node:add(pa.field, r, pa.value)
					else
						item = node:add(pa.field, r)
					end
				else
					item = node:add(pa.field, pa.value)
					item:set_generated()
				end
				if pa.label then
					item:set_text(pa.label)
				end
			end
			if it.inline_data then
				local d = it.inline_data
				local dn = node:add(f.data, src(so + d.rel, d.len))
				dn:set_text(string.format("Binary data, %s: %d byte%s (announced %d)",
				    d.phase, d.len, d.len == 1 and "" or "s", d.total))
				dn:add(f.phase, d.phase):set_generated()
				dn:add(f.data_len, d.len):set_generated()
				dn:add(f.data_total, d.total):set_generated()
			end
			if it.response_in then
				node:add(f.response_in, it.response_in):set_generated()
			end
			if it.info then
				infos[#infos + 1] = it.info
			end
		end
		for _, e in ipairs(it.experts) do
			if e[2] then
				node:add_proto_expert_info(e[1], e[2])
			else
				node:add_proto_expert_info(e[1])
			end
		end
	end
	local arrow = rec.dir == "to-module" and "\226\134\146 " or
	    rec.dir == "from-module" and "\226\134\144 " or ""
	if #rec.items == 0 then
		infos[1] = "(no bytes)"
	elseif #infos == 0 then
		infos[1] = "[line end]"
	end
	pinfo.cols.protocol = "atproof"
	pinfo.cols.info = arrow .. table.concat(infos, " ")
end

------------------------------------------------------------------------
-- Dissection

-- The interface (one UART each). A field extractor sees it only when the
-- first pass builds a tree: always in a one-pass tshark, in Wireshark with
-- coloring rules on (the default); without one (tshark -2), every
-- interface shares one state. atproof run writes one interface.
local f_ifid = Field.new("frame.interface_id")

-- The frame's time, rounded to the microsecond: pinfo.abs_ts is a double
-- (about 0.2 us apart near 2024), and atproof writes microseconds.
local function frame_time(pinfo)
	local t = pinfo.abs_ts
	local s = math.floor(t)
	local us = math.floor((t - s) * 1e6 + 0.5)
	if us >= 1000000 then
		s, us = s + 1, us - 1000000
	end
	return NSTime.new(s, us * 1000)
end

local wtap_table = DissectorTable.get("wtap_encap")
local old_upper = wtap_table:get_dissector(wtap_encaps.WIRESHARK_UPPER_PDU)
local old_user0 = wtap_table:get_dissector(wtap_encaps.USER0)

local EXP_PDU_TAG_END_OF_OPT = 0
local EXP_PDU_TAG_DISSECTOR_NAME = 12
local EXP_PDU_TAG_P2P_DIRECTION = 36

-- The exported-PDU tags: <type u16 BE><length u16 BE><value>, ended by
-- END_OF_OPT (capture.h). Returns the payload offset, the dissector name
-- and the direction tag (0 sent, 1 received), or nil if malformed.
local function read_tags(tvb)
	local off, name, dir = 0, nil, nil
	local len = tvb:len()
	while off + 4 <= len do
		local ty = tvb(off, 2):uint()
		local l = tvb(off + 2, 2):uint()
		if off + 4 + l > len then
			return nil
		end
		if ty == EXP_PDU_TAG_END_OF_OPT then
			return off + 4 + l, name, dir
		elseif ty == EXP_PDU_TAG_DISSECTOR_NAME and l > 0 then
			name = tvb(off + 4, l):raw():gsub("%z.*$", "")
		elseif ty == EXP_PDU_TAG_P2P_DIRECTION and l == 4 then
			dir = tvb(off + 4, 4):int()
		end
		off = off + 4 + l
	end
	return nil
end

local function dissect_uart(tvb, pinfo, tree, payload_off, tag_dir)
	local num = pinfo.number
	local rec = S.frames[num]
	local ptvb = payload_off < tvb:len() and tvb(payload_off):tvb() or nil
	if not rec then
		-- First sight (pinfo.visited is false): decode in frame order and
		-- keep the result. Keying the store by frame number rather than
		-- trusting pinfo.visited alone makes sure the state moves once per
		-- frame, however often a frame is dissected before it is marked.
		local dir = pinfo.p2p_dir
		if dir ~= 0 and dir ~= 1 and (tag_dir == 0 or tag_dir == 1) then
			dir = tag_dir
		end
		local payload = ptvb and ptvb:raw() or ""
		rec = { items = {} }
		if dir == 0 then
			rec.dir = "to-module"
		elseif dir == 1 then
			rec.dir = "from-module"
		elseif #payload == 0 then
			rec.dir = "unknown"
		else
			-- No epb_flags: a command line or "+++" comes from the host.
			local u = payload:upper()
			rec.inferred = true
			rec.dir = (u:find("^[^\r\n]*AT%+") or payload == "+++") and "to-module" or "from-module"
		end
		local fi = f_ifid()
		local st = iface(fi and fi.value or 0)
		if #payload > 0 then
			first_pass(rec, payload, st, rec.dir == "to-module", num, frame_time(pinfo))
		end
		S.frames[num] = rec
	end
	draw(rec, ptvb or tvb, tree, pinfo, tvb, payload_off)
	return tvb:len()
end

-- One dissector for the three ways in: the exported-PDU encapsulation
-- (tags first), USER0, and a call by name (user_dlts, Decode As) with bare
-- UART bytes. The wtap_encap table sets pinfo.match_uint to the
-- encapsulation (a field extractor would be empty on a first pass without
-- a tree). A call back through the handler replaced (user_dlts naming
-- "atproof" with the USER0 preference off) must not loop.
local handing_back = false

local function hand_back(h, tvb, pinfo, tree)
	handing_back = true
	local ok, r = pcall(Dissector.call, h, tvb, pinfo, tree)
	handing_back = false
	if not ok then
		error(r)
	end
	return r
end

function p.dissector(tvb, pinfo, tree)
	local enc = pinfo.match_uint
	if handing_back then
		return dissect_uart(tvb, pinfo, tree, 0, nil)
	end
	if enc == wtap_encaps.WIRESHARK_UPPER_PDU then
		if p.prefs.upper_pdu then
			local off, name, tag_dir = read_tags(tvb)
			if off and name == "at" then
				return dissect_uart(tvb, pinfo, tree, off, tag_dir)
			end
		end
		return old_upper and hand_back(old_upper, tvb, pinfo, tree) or 0
	elseif enc == wtap_encaps.USER0 and not p.prefs.user0 and old_user0 then
		return hand_back(old_user0, tvb, pinfo, tree)
	end
	return dissect_uart(tvb, pinfo, tree, 0, nil)
end

wtap_table:add(wtap_encaps.WIRESHARK_UPPER_PDU, p)
wtap_table:add(wtap_encaps.USER0, p)
