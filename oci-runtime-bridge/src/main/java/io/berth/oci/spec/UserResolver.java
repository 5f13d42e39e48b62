package io.berth.oci.spec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Resolves who the container's process runs as, from the container config (run_as_user,
 * run_as_username, run_as_group) or else the image's {@code User} ({@code name}, {@code uid},
 * {@code uid:gid}, {@code name:group}, ...), against the contents of the rootfs's /etc/passwd
 * and /etc/group. Pure: the caller reads those files (from inside the rootfs) and passes them.
 */
public final class UserResolver {
  /** How the image's group memberships combine with the configured supplemental groups. */
  public enum SupplementalGroupsPolicy {
    /** Groups the user belongs to in /etc/group, plus the configured ones. */
    MERGE,
    /** Only the configured groups (and the primary group). */
    STRICT
  }

  /** What the container config asks for; nulls mean "not set". */
  public record Request(Long runAsUser, String runAsUsername, Long runAsGroup, List<Long> supplementalGroups,
      SupplementalGroupsPolicy policy) {
    public Request {
      supplementalGroups = supplementalGroups == null ? List.of() : List.copyOf(supplementalGroups);
      policy = policy == null ? SupplementalGroupsPolicy.MERGE : policy;
    }
  }

  private record PasswdEntry(String name, long uid, long gid) {}

  private record GroupEntry(String name, long gid, List<String> members) {}

  private final List<PasswdEntry> passwd;
  private final List<GroupEntry> groups;

  /** {@code passwdFile} and {@code groupFile} are file contents, or null when the file is absent. */
  public UserResolver(String passwdFile, String groupFile) {
    this.passwd = parsePasswd(passwdFile);
    this.groups = parseGroups(groupFile);
  }

  public RuntimeSpec.User resolve(Request request, String imageUser) {
    String name;
    long uid;
    Long gid = request.runAsGroup();
    if (request.runAsUser() != null) {
      uid = request.runAsUser();
      name = byUid(uid).map(PasswdEntry::name).orElse(null);
      if (gid == null) {
        gid = byUid(uid).map(PasswdEntry::gid).orElse(0L);
      }
    } else if (request.runAsUsername() != null && !request.runAsUsername().isEmpty()) {
      PasswdEntry entry = byName(request.runAsUsername())
          .orElseThrow(() -> new SpecException("run_as_username '" + request.runAsUsername()
              + "' is not in /etc/passwd"));
      uid = entry.uid();
      name = entry.name();
      if (gid == null) {
        gid = entry.gid();
      }
    } else {
      String userPart = imageUser;
      String groupPart = null;
      int colon = imageUser.indexOf(':');
      if (colon >= 0) {
        userPart = imageUser.substring(0, colon);
        groupPart = imageUser.substring(colon + 1);
      }
      if (userPart.isEmpty()) {
        uid = 0;
        name = byUid(0).map(PasswdEntry::name).orElse("root");
      } else if (userPart.chars().allMatch(Character::isDigit)) {
        uid = Long.parseLong(userPart);
        name = byUid(uid).map(PasswdEntry::name).orElse(null);
      } else {
        String wanted = userPart;
        PasswdEntry entry = byName(wanted)
            .orElseThrow(() -> new SpecException("image user '" + wanted + "' is not in the image's /etc/passwd"));
        uid = entry.uid();
        name = entry.name();
      }
      if (gid == null) {
        if (groupPart != null && !groupPart.isEmpty()) {
          gid = resolveGroup(groupPart);
        } else {
          long u = uid;
          gid = byUid(u).map(PasswdEntry::gid).orElse(0L);
        }
      }
    }
    Set<Long> additional = new LinkedHashSet<>();
    additional.add(gid);
    if (request.policy() == SupplementalGroupsPolicy.MERGE && name != null) {
      for (GroupEntry group : groups) {
        if (group.members().contains(name)) {
          additional.add(group.gid());
        }
      }
    }
    additional.addAll(request.supplementalGroups());
    return new RuntimeSpec.User(uid, gid, new ArrayList<>(additional));
  }

  private long resolveGroup(String group) {
    if (group.chars().allMatch(Character::isDigit)) {
      return Long.parseLong(group);
    }
    return groups.stream().filter(g -> g.name().equals(group)).findFirst()
        .orElseThrow(() -> new SpecException("image group '" + group + "' is not in the image's /etc/group"))
        .gid();
  }

  private Optional<PasswdEntry> byUid(long uid) {
    return passwd.stream().filter(p -> p.uid() == uid).findFirst();
  }

  private Optional<PasswdEntry> byName(String name) {
    return passwd.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  private static List<PasswdEntry> parsePasswd(String text) {
    List<PasswdEntry> entries = new ArrayList<>();
    if (text == null) {
      return entries;
    }
    for (String line : text.split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= 4 && !line.startsWith("#") && isNumber(f[2]) && isNumber(f[3])) {
        entries.add(new PasswdEntry(f[0], Long.parseLong(f[2]), Long.parseLong(f[3])));
      }
    }
    return entries;
  }

  private static List<GroupEntry> parseGroups(String text) {
    List<GroupEntry> entries = new ArrayList<>();
    if (text == null) {
      return entries;
    }
    for (String line : text.split("\n")) {
      String[] f = line.split(":", -1);
      if (f.length >= 3 && !line.startsWith("#") && isNumber(f[2])) {
        List<String> members = f.length >= 4 && !f[3].isEmpty() ? List.of(f[3].split(",")) : List.of();
        entries.add(new GroupEntry(f[0], Long.parseLong(f[2]), members));
      }
    }
    return entries;
  }

  private static boolean isNumber(String s) {
    return !s.isEmpty() && s.chars().allMatch(Character::isDigit) && s.length() < 19;
  }
}
